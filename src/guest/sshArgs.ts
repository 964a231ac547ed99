// ssh's argv for a session's forwarded port on 127.0.0.1 with the image's key. The guest's
// host key changes with every image, so it is neither checked nor remembered. Pure.

export interface SshTarget {
  port: number;
  key?: string;
}

export function sshArgs(ssh: SshTarget, command: readonly string[] = []): string[] {
  return [
    ...(ssh.key ? ['-i', ssh.key, '-o', 'IdentitiesOnly=yes'] : []),
    '-p',
    String(ssh.port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'BatchMode=yes',
    'root@127.0.0.1',
    ...command,
  ];
}

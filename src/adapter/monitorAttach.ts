// Attach through a QEMU monitor (seed 000 starts QEMU with `-monitor unix:…,server,nowait`
// and no -s): connect to the monitor, and when the attach names no gdb stub, start one on a
// unix socket in a private 0700 directory (HMP `gdbserver`), never on the network. At the end
// the stub we started is closed again (`gdbserver none`); the user's QEMU runs on.
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { connectMonitor, MonitorError, type HumanMonitor } from '../qemu/monitor';
import { createRuntimeDir } from '../process/runtimeDirs';
import { errorText } from './errors';
import { launchErrors } from './launchErrors';

export interface MonitorAttach {
  monitor: HumanMonitor;
  /** Where gdb connects: the user's target, or the stub started here. */
  endpoint: string;
  /** Closes what this attach opened (the stub it started, the connection, the private directory). */
  release(): Promise<void>;
}

export async function attachThroughMonitor(
  socket: string,
  target: string | undefined,
  log: (text: string) => void,
): Promise<MonitorAttach> {
  let monitor: HumanMonitor;
  try {
    monitor = await connectMonitor(socket);
  } catch (error) {
    throw launchErrors.monitorUnreachable(error instanceof MonitorError ? error.message : errorText(error));
  }
  log(`Connected to the QEMU monitor ${socket} (${monitor.protocol.toUpperCase()}).\n`);
  if (target) return { monitor, endpoint: target, release: async () => monitor.close() };
  const runtimeDir = createRuntimeDir();
  const stub = path.join(runtimeDir, 'gdb.sock');
  let answer: string;
  try {
    answer = await monitor.command(`gdbserver unix:${stub.replace(/,/g, ',,')},server=on,wait=off`);
  } catch (error) {
    answer = errorText(error);
  }
  if (!/Waiting for gdb connection/.test(answer)) {
    monitor.close();
    rmSync(runtimeDir, { recursive: true, force: true });
    throw launchErrors.monitorStartedNoStub(socket, answer);
  }
  log(`Started a gdb stub in that QEMU on the private socket ${stub}.\n`);
  return {
    monitor,
    endpoint: stub,
    release: async () => {
      await monitor.command('gdbserver none').catch(() => undefined);
      monitor.close();
      rmSync(runtimeDir, { recursive: true, force: true });
    },
  };
}

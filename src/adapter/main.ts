// Standalone entry: `node dist/adapter.js` speaks DAP on stdin/stdout, for tests and for
// any DAP client (nvim-dap, Emacs dap-mode). VS Code runs the same session inline: the
// extension requires this bundle on the first debug session (activation loads none of it),
// and then it only exports the session class.
import { KernelQemuSession } from './session';

export { KernelQemuSession };

if (require.main === module) serve();

function serve(): void {
  const session = new KernelQemuSession();
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => void session.dispose().finally(() => process.exit(0)));
  }
  // A stray rejection in an event handler must not take the session (and the user's VM) down:
  // report it on stderr, where DAP clients log adapter diagnostics, and keep serving.
  process.on('unhandledRejection', (reason) =>
    process.stderr.write(`kernel-qemu adapter: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`),
  );
  process.stdin.on('end', () => void session.dispose().finally(() => process.exit(0)));
  session.setRunAsServer(false);
  session.start(process.stdin, process.stdout);
}

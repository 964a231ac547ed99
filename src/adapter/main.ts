// Standalone entry: `node dist/adapter.js` speaks DAP on stdin/stdout, for tests and for
// any DAP client (nvim-dap, Emacs dap-mode). VS Code runs the same session inline.
import { KernelQemuSession } from './session';

const session = new KernelQemuSession();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => void session.dispose().finally(() => process.exit(0)));
}
process.stdin.on('end', () => void session.dispose().finally(() => process.exit(0)));
session.setRunAsServer(false);
session.start(process.stdin, process.stdout);

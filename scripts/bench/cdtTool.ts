// The peer: cdt-gdb-adapter over DAP, attached to the same QEMU the others start, driven by
// the DAP steps every scenario shares (DapSession in tools.ts).
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { now, removeDir, startQemu, tempDir, waitForPath, within, type BenchKernel, type BenchQemu } from './common';
import { DapSession, ENTRY_FUNCTION, STOP_FUNCTION, STOP_TIMEOUT_MS, startDapClient, stoppedEvent, type Tool } from './tools';

/** `peerDir`: the installed cdt-gdb-adapter package (peer.ts). */
export function cdtTool(kernel: BenchKernel, peerDir: string): Tool {
  return {
    name: 'cdt',
    label: 'cdt-gdb-adapter',
    warmNote: "cdt-gdb-adapter does not enable gdb's index cache: cold and warm are the same launch",
    async launch() {
      const runtimeDir = tempDir('cdt');
      const { client, pid } = await startDapClient(path.join(peerDir, 'dist/debugTargetAdapter.js'), 'gdbtarget', process.env);
      let qemu: BenchQemu | undefined;
      try {
        const started = now();
        // It attaches to a stub: the same QEMU as the adapter starts, started here.
        qemu = startQemu(kernel, runtimeDir);
        await waitForPath(qemu.gdbSocket);
        const stopped = stoppedEvent(client, 'cdt-gdb-adapter: run to start_kernel');
        const configured = client.waitForEvent('initialized', STOP_TIMEOUT_MS).then(async () => {
          // Hardware breakpoints: the kernel is not mapped yet, as for the others.
          await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: ENTRY_FUNCTION }] });
          await client.configurationDoneRequest();
        });
        await client.attachRequest({
          gdb: kernel.gdb,
          program: kernel.vmlinux,
          hardwareBreakpoint: true,
          target: { type: 'remote', parameters: [qemu.gdbSocket] },
        } as DebugProtocol.AttachRequestArguments);
        await configured;
        const stop = await stopped;
        const ms = now() - started;
        const session = new CdtSession(client, kernel, pid, stop.body.threadId ?? 1, qemu, runtimeDir);
        await session.showStop();
        if (session.func !== ENTRY_FUNCTION) throw new Error(`cdt-gdb-adapter: stopped in ${session.func}, not ${ENTRY_FUNCTION}`);
        return { ms, session };
      } catch (error) {
        await client.stop().catch(() => undefined);
        await qemu?.stop();
        removeDir(runtimeDir);
        throw error;
      }
    },
  };
}

class CdtSession extends DapSession {
  protected readonly tool = 'cdt';

  constructor(
    client: DebugClient,
    kernel: BenchKernel,
    pid: number | undefined,
    threadId: number,
    private readonly qemu: BenchQemu,
    private readonly runtimeDir: string,
  ) {
    super(client, kernel, pid, threadId);
  }

  protected async setStopBreakpoint(): Promise<void> {
    const placed = (await this.client.setFunctionBreakpointsRequest({ breakpoints: [{ name: STOP_FUNCTION }] })).body.breakpoints;
    if (!placed[0]?.verified) throw new Error(`cdt-gdb-adapter: breakpoint on ${STOP_FUNCTION} refused: ${placed[0]?.message}`);
  }

  /** Its Registers scope is one flat list with values. */
  async registers(): Promise<number> {
    const scope = this.scopes.find((candidate) => /regist/i.test(candidate.name));
    if (!scope) throw new Error(`cdt-gdb-adapter: no registers scope (${this.scopes.map((s) => s.name).join(', ')})`);
    const started = now();
    await this.client.variablesRequest({ variablesReference: scope.variablesReference });
    return now() - started;
  }

  async close(): Promise<void> {
    await within(15_000, 'cdt-gdb-adapter: disconnect', this.client.disconnectRequest({ terminateDebuggee: true })).catch(() => undefined);
    (this.client as unknown as { stopAdapter(): void }).stopAdapter();
    await this.qemu.stop();
    removeDir(this.runtimeDir);
  }
}

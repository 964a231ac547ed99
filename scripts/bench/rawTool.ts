// The raw gdb/MI side of the bench (tools.ts): QEMU started by hand, gdb driven over MI with
// no adapter between, the floor each scenario's kernel-qemu figure is set against.
import * as path from 'node:path';
import { createStateDisk, now, removeDir, startQemu, tempDir, waitForPath, within, type BenchKernel, type BenchQemu } from './common';
import { miField, miQuote, RawGdb } from './rawMi';
import { RawQmp } from './rawQmp';
import {
  BIG_STRUCT,
  ENTRY_FUNCTION,
  NESTED_MEMBER,
  STOP_FUNCTION,
  STOP_TIMEOUT_MS,
  type ExpandTimes,
  type Tool,
  type ToolSession,
} from './tools';
const disassemblyWindow = (kernel: BenchKernel) => (kernel.arch === 'aarch64' ? 4 : 15) * 50;

export function rawTool(kernel: BenchKernel): Tool {
  return {
    name: 'raw',
    label: 'raw gdb/MI',
    async launch(options) {
      const runtimeDir = tempDir('raw');
      const stateDisk = options.snapshots ? path.join(runtimeDir, 'state.qcow2') : undefined;
      if (stateDisk) createStateDisk(stateDisk);
      const started = now();
      const qemu = startQemu(kernel, runtimeDir, { ...(stateDisk ? { stateDisk } : {}), ...(options.smp ? { smp: options.smp } : {}) });
      const gdb = RawGdb.start(kernel.gdb);
      try {
        for (const setting of ['mi-async on', 'pagination off', 'confirm off', 'width 0', 'height 0'])
          await gdb.send(`-gdb-set ${setting}`);
        await gdb.send(`-interpreter-exec console ${miQuote(`set index-cache directory ${path.join(options.cacheRoot, 'gdb-index')}`)}`);
        await gdb.send('-interpreter-exec console "set index-cache enabled on"');
        await gdb.send(`-file-exec-and-symbols ${miQuote(kernel.vmlinux)}`);
        await waitForPath(qemu.gdbSocket);
        await gdb.send(`-target-select remote ${qemu.gdbSocket}`);
        await gdb.send(`-break-insert -h -t ${ENTRY_FUNCTION}`);
        const stopped = gdb.nextStop();
        await gdb.send('-exec-continue');
        const stop = await within(STOP_TIMEOUT_MS, 'raw: run to start_kernel', stopped);
        const ms = now() - started;
        const session = new RawSession(kernel, gdb, qemu, runtimeDir, stateDisk, stop);
        if (session.func !== ENTRY_FUNCTION) throw new Error(`raw: stopped in ${session.func}, not ${ENTRY_FUNCTION}`);
        return { ms, session };
      } catch (error) {
        await Promise.all([gdb.exit(), qemu.stop()]);
        removeDir(runtimeDir);
        throw error;
      }
    },
  };
}

export class RawSession implements ToolSession {
  func: string | undefined;
  private threadId = '1';
  private breakpointSet = false;
  private initTaskAddress: string | undefined;

  constructor(
    private readonly kernel: BenchKernel,
    private readonly gdb: RawGdb,
    private readonly qemu: BenchQemu,
    private readonly runtimeDir: string,
    private readonly stateDisk: string | undefined,
    stop: string,
  ) {
    this.noteStop(stop);
  }

  location = '';

  private noteStop(stop: string): void {
    this.func = miField(stop, 'func');
    this.location = `${this.func}:${miField(stop, 'line') ?? '?'}`;
    this.threadId = miField(stop, 'thread-id') ?? this.threadId;
  }

  /** What VS Code asks after every stop, as bare MI: one command per DAP request (scopes needs none). */
  private async showStop(): Promise<void> {
    await this.gdb.send('-thread-info');
    await this.gdb.send(`-stack-list-frames --thread ${this.threadId} 0 20`);
    await this.gdb.send(`-stack-list-variables --thread ${this.threadId} --frame 0 --simple-values`);
  }

  private async resume(command: string): Promise<void> {
    const stopped = this.gdb.nextStop();
    await this.gdb.send(command);
    this.noteStop(await within(STOP_TIMEOUT_MS, `raw: ${command}`, stopped));
  }

  async continueToStopFunction(): Promise<void> {
    if (!this.breakpointSet) {
      await this.gdb.send(`-break-insert ${STOP_FUNCTION}`);
      this.breakpointSet = true;
    }
    await this.resume('-exec-continue');
    await this.showStop();
  }

  async stepCycle(): Promise<number> {
    const started = now();
    await this.resume(`-exec-next --thread ${this.threadId}`);
    await this.showStop();
    return now() - started;
  }

  private context(): string {
    return `--thread ${this.threadId} --frame 0`;
  }

  async expand(): Promise<ExpandTimes> {
    // The floor: one -data-evaluate-expression carries every member's value.
    let started = now();
    await this.gdb.send(`-data-evaluate-expression ${this.context()} ${BIG_STRUCT}`);
    const evaluate = now() - started;
    started = now();
    await this.gdb.send(`-data-evaluate-expression ${this.context()} ${BIG_STRUCT}.${NESTED_MEMBER}`);
    const nested = now() - started;
    return { evaluate, children: 0, nested, childCount: 0, nestedCount: 0 };
  }

  /** gdb's var-objects for the same expansion (what most adapters do), for reference. */
  async expandWithVarobjs(): Promise<{ create: number; children: number; nested: number }> {
    let started = now();
    const created = await this.gdb.send(`-var-create ${this.context()} - * ${BIG_STRUCT}`);
    const create = now() - started;
    const name = miField(created, 'name')!;
    started = now();
    await this.gdb.send(`-var-list-children --simple-values ${name}`);
    const children = now() - started;
    started = now();
    await this.gdb.send(`-var-list-children --simple-values ${name}.${NESTED_MEMBER}`);
    const nested = now() - started;
    await this.gdb.send(`-var-delete ${name}`);
    return { create, children, nested };
  }

  async registers(): Promise<number> {
    const started = now();
    await this.gdb.send(`-data-list-register-values ${this.context()} --skip-unavailable x`);
    return now() - started;
  }

  async readMemory4k(): Promise<number> {
    this.initTaskAddress ??= /^(0x[0-9a-f]+)/.exec(
      miField(await this.gdb.send(`-data-evaluate-expression &${BIG_STRUCT}`), 'value') ?? '',
    )?.[1];
    const started = now();
    await this.gdb.send(`-data-read-memory-bytes ${this.initTaskAddress} 4096`);
    return now() - started;
  }

  async disassemble50(): Promise<number> {
    const pc = /^(0x[0-9a-f]+)/.exec(miField(await this.gdb.send(`-data-evaluate-expression ${this.context()} $pc`), 'value') ?? '')?.[1];
    const end = `0x${(BigInt(pc!) + BigInt(disassemblyWindow(this.kernel))).toString(16)}`;
    const started = now();
    await this.gdb.send(`-data-disassemble -s ${pc} -e ${end} -- 5`);
    return now() - started;
  }

  async snapshot(name: string): Promise<{ save: number; load: number }> {
    if (!this.stateDisk) throw new Error('raw: no state disk');
    const qmp = await RawQmp.connect(this.qemu.qmpSocket);
    try {
      let started = now();
      await qmp.runJob('snapshot-save', { tag: name, vmstate: 'kq-state', devices: ['kq-state'] });
      const save = now() - started;
      started = now();
      await qmp.runJob('snapshot-load', { tag: name, vmstate: 'kq-state', devices: ['kq-state'] });
      const load = now() - started;
      return { save, load };
    } finally {
      qmp.close();
    }
  }

  adapterPeakRssMiB(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all([this.gdb.exit(), this.qemu.stop()]);
    removeDir(this.runtimeDir);
  }
}

// ---------------------------------------------------------------------------- DAP adapters

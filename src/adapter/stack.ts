// Threads (one per vCPU, as QEMU's gdb stub reports them) and stack frames.
import * as path from 'node:path';
import { Handles, Source, StackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import type { MiTuple } from '../mi/records';
import type { GuestArch } from '../arch';
import type { MissingSourceHint } from './missingSource';
import type { SourceMapper } from './sourceMap';
import { isTaskThread, type TaskThreads } from './kernel/taskThreads';
import { isKernelAddress, stackLength } from './stackEnd';

export interface FrameRef {
  threadId: number;
  level: number;
}

export class StackService {
  /** Frame ids are valid for one stop; reset() drops them. */
  private frames = new Handles<FrameRef>();

  constructor(
    private readonly mi: MiConnection,
    private readonly sources: SourceMapper,
    private readonly arch: GuestArch,
    private readonly missingSource?: MissingSourceHint,
    readonly taskThreads?: TaskThreads,
  ) {}

  reset(): void {
    this.frames.reset();
  }

  frame(frameId: number): FrameRef | undefined {
    return this.frames.get(frameId);
  }

  /** Each vCPU, named with the task it runs when the kernel can tell ("CPU 0 · sh (pid 42)"). */
  async threads(
    currentTask?: (cpu: number, threadId: number) => Promise<{ pid: number; comm: string } | undefined>,
  ): Promise<DebugProtocol.Thread[]> {
    const result = await this.mi.send(mi.threadInfo());
    const [vcpus, tasks] = await Promise.all([
      Promise.all(
        result.results.tuples('threads').map(async (thread) => {
          const name = threadName(thread);
          const cpu = cpuNumber(thread);
          const task = cpu !== undefined && currentTask ? await currentTask(cpu, thread.int('id')) : undefined;
          return { id: thread.int('id'), name: task ? `${name} · ${task.comm} (pid ${task.pid})` : name };
        }),
      ),
      // The vCPUs are shown even where the task list cannot be read (early boot, a corrupt list).
      this.taskThreads?.threads().catch(() => []) ?? [],
    ]);
    return [...vcpus, ...tasks];
  }

  /**
   * The page VS Code asks for (startFrame, levels) of the stack, which ends at the kernel's
   * entry frame (stackEnd.ts). Frames are read from level 0 so a later page knows where the
   * stack ended; the first page is the read the stop cache prefetched.
   */
  async stackTrace(threadId: number, start = 0, levels = 0): Promise<{ stackFrames: DebugProtocol.StackFrame[]; totalFrames: number }> {
    const startFrame = Math.max(0, start);
    // Ask for one frame more than shown: VS Code offers "load more" only when there are more.
    const high = levels > 0 ? startFrame + levels : startFrame + 999;
    const result = await this.mi.send(mi.stackListFrames(threadId, 0, high));
    // A task's frames hang below the carrier vCPU's innermost frame (kernel/taskThreads.ts).
    const all = result.results
      .tuples('stack')
      .filter((frame) => !isTaskThread(threadId) || (this.taskThreads?.isTaskFrame(frame.int('level')) ?? true));
    const frames = all.slice(0, stackLength(all, this.arch));
    const shown = frames.slice(startFrame, levels > 0 ? startFrame + levels : undefined);
    const stackFrames = shown.map((frame) => this.toStackFrame(threadId, frame));
    return { stackFrames, totalFrames: frames.length };
  }

  private toStackFrame(threadId: number, frame: MiTuple): DebugProtocol.StackFrame {
    const level = frame.int('level');
    const address = frame.optStr('addr');
    const fullname = frame.optStr('fullname') ?? frame.optStr('file');
    const name = frameName(frame.optStr('func'), address, fullname);
    const line = frame.optInt('line') ?? 0;
    const source = fullname ? new Source(path.basename(fullname), this.sources.toLocal(fullname)) : undefined;
    if (fullname && source?.path) this.missingSource?.check(fullname, source.path);
    const stackFrame: DebugProtocol.StackFrame = new StackFrame(this.frames.create({ threadId, level }), name, source, line, 1);
    if (address) stackFrame.instructionPointerReference = address;
    if (!source) stackFrame.presentationHint = 'subtle';
    return stackFrame;
  }
}

/**
 * gdb's name for a frame, unless it is no name: `??` (a module before its symbols load) or,
 * outside the kernel's half of the address space without a source line, vmlinux's nearest
 * symbol, a per-CPU variable (x86_64 links them from 0): at the reset vector 0xfff0 gdb says
 * `exception_stacks`. Those frames are named by their address.
 */
export function frameName(func: string | undefined, address: string | undefined, fullname: string | undefined): string {
  if (!address) return func ?? 'unknown';
  if (func === undefined || func === '??') return address;
  return isKernelAddress(address) === false && !fullname ? address : func;
}

function cpuNumber(thread: MiTuple): number | undefined {
  const cpu = /CPU#(\d+)/.exec(thread.optStr('details') ?? '');
  return cpu ? Number(cpu[1]) : undefined;
}

/** "CPU#0 [running]" -> "CPU 0"; anything else is shown as gdb says it. */
export function threadName(thread: MiTuple): string {
  const details = thread.optStr('details') ?? '';
  const cpu = /CPU#(\d+)/.exec(details);
  if (cpu) return `CPU ${cpu[1]}`;
  return thread.optStr('name') ?? thread.optStr('target-id') ?? `Thread ${thread.str('id')}`;
}

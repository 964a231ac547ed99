// Set Next Statement (DAP gotoTargets + goto): the vCPU's pc moves to the first instruction
// of a source line, nothing runs. Only within the function the vCPU is stopped in: a jump into
// another function would run it on the wrong stack frame.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mi } from '../mi/commands';
import type { MiConnection } from '../mi/connection';
import { errors, errorText } from './errors';
import type { SourceMapper } from './sourceMap';

interface Target {
  address: string;
  line: number;
  functionName: string;
}

/** gdb's `info line FILE:LINE`: "Line 1311 of "fs/open.c" starts at address 0xffffffff8134a39c <do_sys_openat2+76> and ends at …". */
export function parseInfoLine(text: string): { address: string; functionName: string } | undefined {
  const match = /starts at address (0x[0-9a-f]+) <([^+>]+)(?:\+\d+)?>/.exec(text);
  return match ? { address: match[1]!, functionName: match[2]! } : undefined;
}

export class GotoTargets {
  private readonly targets = new Map<number, Target>();
  private nextId = 1;

  constructor(
    private readonly mi: MiConnection,
    private readonly sources: SourceMapper,
  ) {}

  /** The line's first instruction, when it has code and lies in the function the vCPU is stopped in. */
  async targetsFor(path: string, line: number, threadId: number): Promise<DebugProtocol.GotoTarget[]> {
    const top = (await this.mi.send(mi.stackListFrames(threadId, 0, 0))).results.tuples('stack')[0];
    const currentFunction = top?.optStr('func');
    const answer = await this.mi.send(mi.consoleCommand(`info line ${this.sources.toDebugger(path)}:${line}`)).then(
      (result) => result.console,
      (error: unknown) => errorText(error),
    );
    const place = parseInfoLine(answer);
    if (!place) return [];
    if (currentFunction && place.functionName !== currentFunction) {
      throw errors.gotoOtherFunction(currentFunction, line, place.functionName);
    }
    const id = this.nextId++;
    this.targets.set(id, { address: place.address, line, functionName: place.functionName });
    return [{ id, label: `Line ${line} (${place.address})`, line, instructionPointerReference: place.address }];
  }

  /** Moves the thread's pc to the target; the caller reports the stop (reason 'goto'). */
  async goto(threadId: number, targetId: number): Promise<void> {
    const target = this.targets.get(targetId);
    if (!target) throw errors.unknownGotoTarget(targetId);
    await this.mi.send(mi.evaluate(`$pc = ${target.address}`, { threadId, frameLevel: 0 }));
  }
}

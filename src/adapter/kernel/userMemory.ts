// User-space bytes as the kernel sees them at a stop: a `const char __user *` argument read as
// the user's string. x86_64 gdb reads user pages itself (the kernel's page tables map them);
// arm64 runs the kernel with PAN set, so its user pages are reached through the task's page
// tables and the linear map (arm64PageWalk.ts). A page that is not resident says so.
import type { FrameContext } from '../../mi/commands';
import type { GuestArch } from '../../arch';
import { type Arm64Translation, pageOffsetOf, walkUserAddress } from './arm64PageWalk';
import { hex, type KernelReader, littleEndian64, unsigned64 } from './kernelReader';

/** gdb's default `print elements`: a string is shown up to this many characters. */
export const USER_STRING_LIMIT = 200;
const PAGE_SIZE = 0x1000n;

export type UserBytes = { kind: 'bytes'; bytes: Uint8Array; complete: boolean; stoppedBy?: string } | { kind: 'absent'; reason: string };

export const USER_PAGE_NOT_PRESENT = 'user page not present';

export class UserMemory {
  /** arm64 translation inputs per gdb thread (vCPU), for one stop. */
  private translations = new Map<number, Promise<Arm64Translation | string>>();

  constructor(
    private readonly reader: KernelReader,
    private readonly arch: GuestArch,
  ) {}

  /** The target resumed: page tables and the current tasks may change. */
  reset(): void {
    this.translations.clear();
  }

  /** Whether `address` lies in the user half of this arch's address space. */
  isUserAddress(address: bigint): boolean {
    if (address === 0n) return false;
    return this.arch === 'x86_64' ? address < 0x0000_8000_0000_0000n : address >> 56n === 0n;
  }

  /** The NUL-terminated string at user address `address`, up to `limit` bytes, as the vCPU of `context` sees it. */
  async string(address: bigint, context: FrameContext, limit = USER_STRING_LIMIT): Promise<UserBytes> {
    const collected: number[] = [];
    let cursor = address;
    while (collected.length < limit) {
      const chunk = await this.chunk(cursor, context, limit - collected.length);
      if (chunk.kind === 'absent') {
        if (collected.length === 0) return chunk;
        return { kind: 'bytes', bytes: Uint8Array.from(collected), complete: false, stoppedBy: chunk.reason };
      }
      const end = chunk.bytes.indexOf(0);
      collected.push(...(end >= 0 ? chunk.bytes.subarray(0, end) : chunk.bytes));
      if (end >= 0) return { kind: 'bytes', bytes: Uint8Array.from(collected), complete: true };
      cursor += BigInt(chunk.bytes.length);
    }
    return { kind: 'bytes', bytes: Uint8Array.from(collected.slice(0, limit)), complete: false };
  }

  /** Bytes from `address` to the end of its page (at most `limit`). */
  private async chunk(
    address: bigint,
    context: FrameContext,
    limit: number,
  ): Promise<{ kind: 'bytes'; bytes: Uint8Array } | { kind: 'absent'; reason: string }> {
    const toPageEnd = PAGE_SIZE - (address % PAGE_SIZE);
    const length = Number(toPageEnd < BigInt(limit) ? toPageEnd : BigInt(limit));
    let kernelAddress = address;
    if (this.arch === 'aarch64') {
      const translation = await this.translation(context.threadId);
      if (typeof translation === 'string') return { kind: 'absent', reason: translation };
      const walk = await walkUserAddress(address, translation, async (entry) => littleEndian64(await this.reader.bytes(entry, 8)));
      if (walk.kind === 'not-present') return { kind: 'absent', reason: USER_PAGE_NOT_PRESENT };
      if (walk.kind === 'not-user') return { kind: 'absent', reason: walk.reason };
      kernelAddress = walk.linear;
    }
    try {
      return { kind: 'bytes', bytes: await this.reader.bytes(kernelAddress, length) };
    } catch {
      // x86_64: gdb walks the page tables as the CPU would; a failure there is a page that is not mapped in.
      return {
        kind: 'absent',
        reason: this.arch === 'x86_64' ? USER_PAGE_NOT_PRESENT : `cannot read the user page at ${hex(address)} through the linear map`,
      };
    }
  }

  private translation(threadId: number): Promise<Arm64Translation | string> {
    let translation = this.translations.get(threadId);
    if (!translation) {
      translation = this.readTranslation(threadId);
      this.translations.set(threadId, translation);
    }
    return translation;
  }

  /**
   * TCR_EL1 and the current task's mm->pgd (SP_EL0 holds `current` in the kernel), or why
   * there is no user memory. The two pointers are read at offsets asked once per session
   * through init_task and init_mm: written `((struct task_struct *)$SP_EL0)->mm`, each
   * lookup of the type by name cost gdb 30-45 ms at every stop in a user-space call.
   */
  private async readTranslation(threadId: number): Promise<Arm64Translation | string> {
    const context = { threadId, frameLevel: 0 };
    const value = (expression: string) => this.reader.value(expression, context).then(unsigned64);
    const offset = (key: string, through: string) =>
      (this.reader.layout ? this.reader.layout(key, through) : this.reader.value(through)).then(unsigned64);
    const pointerAt = async (address: bigint) => littleEndian64(await this.reader.bytes(address, 8));
    try {
      const [tcr, task, memstart, mmOffset, pgdOffset] = await Promise.all([
        value('(unsigned long)$TCR_EL1'),
        value('(unsigned long)$SP_EL0'),
        value('(unsigned long)memstart_addr'),
        offset('(unsigned long)&((struct task_struct *)0)->mm', '(unsigned long)&init_task.mm - (unsigned long)&init_task'),
        offset('(unsigned long)&((struct mm_struct *)0)->pgd', '(unsigned long)&init_mm.pgd - (unsigned long)&init_mm'),
      ]);
      const mm = await pointerAt(task + mmOffset);
      if (mm === 0n) return 'the current task is a kernel thread: it has no user memory';
      const pgd = await pointerAt(mm + pgdOffset);
      return { tcr, pgd, memstart, pageOffset: pageOffsetOf(pgd) };
    } catch (error) {
      return `cannot read this vCPU's user page tables (${error instanceof Error ? error.message : String(error)})`;
    }
  }
}

/** A string as gdb prints one: quoted, with C escapes and octal for other unprintable bytes. */
export function quoteCString(bytes: Uint8Array): string {
  let text = '"';
  for (const byte of bytes) {
    if (byte === 0x22) text += '\\"';
    else if (byte === 0x5c) text += '\\\\';
    else if (byte === 0x0a) text += '\\n';
    else if (byte === 0x09) text += '\\t';
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${text}"`;
}

/** What the Variables view shows for a user char pointer: `0x… "text"`, or `0x… <reason>`. */
export function userStringValue(address: bigint, read: UserBytes): string {
  if (read.kind === 'absent') return `${hex(address)} <${read.reason}>`;
  const suffix = read.complete ? '' : read.stoppedBy ? ` <${read.stoppedBy} after this>` : '...';
  return `${hex(address)} ${quoteCString(read.bytes)}${suffix}`;
}

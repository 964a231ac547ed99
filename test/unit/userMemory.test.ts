// The arm64 user page walk and the user-string reader, on page-table entries recorded at a
// do_sys_openat2 stop of Debian's 6.1 arm64 kernel (QEMU 7.2 -cpu max, 48-bit VA, 4 KiB pages):
// filename=0xffffe9fcdfd2, which gdb could not read ("Cannot access memory") and which is "/init".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linearAddress, pageOffsetOf, walkUserAddress, type Arm64Translation } from '../../src/adapter/kernel/arm64PageWalk';
import type { KernelReader } from '../../src/adapter/kernel/kernelReader';
import { quoteCString, UserMemory, userStringValue } from '../../src/adapter/kernel/userMemory';

const RECORDED = {
  tcr: 0x15001f5b5503510n,
  pgd: 0xffff000002007000n,
  memstart: 0x40000000n,
  filename: 0xffffe9fcdfd2n,
  // The descriptors read at each level, top first (`p/x` of each table entry).
  descriptors: [0x8000000483f0003n, 0x8000000483ef003n, 0x8000000483ed003n, 0xe8000041a0ff43n],
  /** Where "/init" was read through the linear map. */
  linear: 0xffff000001a0ffd2n,
};

const translation: Arm64Translation = {
  tcr: RECORDED.tcr,
  pgd: RECORDED.pgd,
  memstart: RECORDED.memstart,
  pageOffset: pageOffsetOf(RECORDED.pgd),
};

/** Kernel memory holding the recorded tables along the walk of `va` (entries at the indexes the walk must use). */
function recordedTables(va: bigint, descriptors: readonly bigint[]): Map<bigint, bigint> {
  const memory = new Map<bigint, bigint>();
  let table = RECORDED.pgd;
  descriptors.forEach((descriptor, depth) => {
    const shift = BigInt(39 - 9 * depth);
    memory.set(table + ((va >> shift) & 511n) * 8n, descriptor);
    table = linearAddress(translation, descriptor & 0x0000fffffffff000n);
  });
  return memory;
}

function read64From(memory: Map<bigint, bigint>): (address: bigint) => Promise<bigint> {
  return async (address) => {
    const value = memory.get(address);
    if (value === undefined) throw new Error(`unexpected read at 0x${address.toString(16)}`);
    return value;
  };
}

test('PAGE_OFFSET follows from a linear-map address: 48-bit and 52-bit kernels', () => {
  assert.equal(pageOffsetOf(0xffff000002007000n), 0xffff000000000000n);
  assert.equal(pageOffsetOf(0xfff0000012345000n), 0xfff0000000000000n);
  assert.equal(linearAddress(translation, 0x42007000n), RECORDED.pgd);
});

test('the recorded walk of filename ends at the linear-map address where "/init" was read', async () => {
  const walk = await walkUserAddress(RECORDED.filename, translation, read64From(recordedTables(RECORDED.filename, RECORDED.descriptors)));
  assert.equal(walk.kind, 'mapped');
  assert.ok(walk.kind === 'mapped');
  assert.equal(walk.linear, RECORDED.linear);
  assert.equal(walk.physical, 0x41a0ffd2n);
  assert.equal(walk.pageEnd, 0xffff000001a10000n);
});

test('an invalid descriptor at any level is a page that is not present', async () => {
  for (let depth = 0; depth < 4; depth++) {
    const descriptors = [...RECORDED.descriptors.slice(0, depth), 0n];
    const walk = await walkUserAddress(RECORDED.filename, translation, read64From(recordedTables(RECORDED.filename, descriptors)));
    assert.deepEqual(walk, { kind: 'not-present', level: depth });
  }
});

test('a 2 MiB block at level 2 maps the address inside the block', async () => {
  const block = 0x00e8000041a00000n | 0x41n; // valid, block (bit 1 clear), AF set
  const walk = await walkUserAddress(
    RECORDED.filename,
    translation,
    read64From(recordedTables(RECORDED.filename, [...RECORDED.descriptors.slice(0, 2), block])),
  );
  assert.ok(walk.kind === 'mapped');
  assert.equal(walk.physical, 0x41a00000n + (RECORDED.filename & 0x1fffffn));
});

test('LPA2 (TCR_EL1.DS) with a 52-bit user half walks five levels and takes OA[51:50] from bits 9:8', async () => {
  const lpa2: Arm64Translation = { ...translation, tcr: (RECORDED.tcr & ~0x3fn) | 12n | (1n << 59n) };
  const va = 0x000f_0000_0000_1234n;
  const reads: bigint[] = [];
  const leaf = 0x0000_0000_4567_8000n | (1n << 8n) | 3n; // OA[50] set through bit 8
  const walk = await walkUserAddress(va, lpa2, async (address) => {
    reads.push(address);
    return reads.length === 5 ? leaf : 0x0000_0000_4000_0003n;
  });
  assert.equal(reads.length, 5);
  assert.equal(reads[0], RECORDED.pgd + 0xfn * 8n, 'the level -1 index is VA[51:48]');
  assert.ok(walk.kind === 'mapped');
  assert.equal(walk.physical, (1n << 50n) | 0x45678234n);
});

test('addresses outside the user half and other granules are refused with the reason', async () => {
  const never = async (): Promise<bigint> => assert.fail('no read expected');
  assert.equal((await walkUserAddress(0x0001_0000_0000_0000n, translation, never)).kind, 'not-user');
  const walk = await walkUserAddress(RECORDED.filename, { ...translation, tcr: RECORDED.tcr | (1n << 14n) }, never);
  assert.deepEqual(walk, { kind: 'not-user', reason: 'this kernel uses 64 KiB pages; only 4 KiB pages are walked' });
});

/** A KernelReader over recorded answers: gdb's values and kernel bytes. */
function recordedReader(values: Record<string, string>, memory: Map<bigint, bigint>, bytesAt: Map<bigint, Uint8Array>): KernelReader {
  return {
    value: async (expression) => {
      const value = values[expression];
      if (value === undefined) throw new Error(`No symbol in current context: ${expression}`);
      return value;
    },
    bytes: async (address, length) => {
      const word = memory.get(address);
      if (word !== undefined && length === 8)
        return Uint8Array.from({ length: 8 }, (_, index) => Number((word >> BigInt(8 * index)) & 0xffn));
      for (const [start, data] of bytesAt) {
        if (address >= start && address + BigInt(length) <= start + BigInt(data.length))
          return data.subarray(Number(address - start), Number(address - start) + length);
      }
      throw new Error(`Cannot access memory at address 0x${address.toString(16)}`);
    },
    type: async () => assert.fail('no type asked'),
  };
}

/** The task `current` is (SP_EL0), its mm and the offsets of task_struct.mm and mm_struct.pgd (Debian's 6.1 arm64 kernel). */
const TASK = 18446462598768083200n;
const MM = 0xffff000002c2b000n;
const GDB_VALUES = {
  '(unsigned long)$TCR_EL1': '94577746995328272',
  '(unsigned long)$SP_EL0': String(TASK),
  '(unsigned long)memstart_addr': '1073741824',
  '(unsigned long)&init_task.mm - (unsigned long)&init_task': '1208',
  '(unsigned long)&init_mm.pgd - (unsigned long)&init_mm': '56',
};

/** The page tables, and the two pointers read on the way to them. */
function withTask(tables: Map<bigint, bigint>, mm = MM): Map<bigint, bigint> {
  return new Map([...tables, [TASK + 1208n, mm], [MM + 56n, RECORDED.pgd]]);
}

test('UserMemory reads "/init" on arm64 through the recorded page tables, as gdb prints strings', async () => {
  const page = new Uint8Array(0x1000 - 0xfd2);
  page.set(new TextEncoder().encode('/init\0'));
  const reader = recordedReader(
    GDB_VALUES,
    withTask(recordedTables(RECORDED.filename, RECORDED.descriptors)),
    new Map([[RECORDED.linear, page]]),
  );
  const memory = new UserMemory(reader, 'aarch64');
  assert.equal(memory.isUserAddress(RECORDED.filename), true);
  assert.equal(memory.isUserAddress(RECORDED.pgd), false);
  const read = await memory.string(RECORDED.filename, { threadId: 1 });
  assert.equal(userStringValue(RECORDED.filename, read), '0xffffe9fcdfd2 "/init"');
});

test('a page that is not resident says "user page not present"; a kernel thread says it has no user memory', async () => {
  const absent = new UserMemory(
    recordedReader(GDB_VALUES, withTask(recordedTables(RECORDED.filename, [...RECORDED.descriptors.slice(0, 3), 0n])), new Map()),
    'aarch64',
  );
  assert.equal(
    userStringValue(RECORDED.filename, await absent.string(RECORDED.filename, { threadId: 1 })),
    '0xffffe9fcdfd2 <user page not present>',
  );
  const kthread = new UserMemory(recordedReader(GDB_VALUES, withTask(new Map(), 0n), new Map()), 'aarch64');
  assert.match(
    userStringValue(RECORDED.filename, await kthread.string(RECORDED.filename, { threadId: 1 })),
    /kernel thread: it has no user memory>$/,
  );
  const x86 = new UserMemory(recordedReader({}, new Map(), new Map()), 'x86_64');
  assert.equal(userStringValue(0x7ffd1000n, await x86.string(0x7ffd1000n, { threadId: 1 })), '0x7ffd1000 <user page not present>');
});

test('a string that runs into an absent page keeps what was read; a long one stops at the limit', async () => {
  const x86 = new UserMemory(recordedReader({}, new Map(), new Map([[0x7ffd0ffcn, new TextEncoder().encode('/etc')]])), 'x86_64');
  assert.equal(
    userStringValue(0x7ffd0ffcn, await x86.string(0x7ffd0ffcn, { threadId: 1 })),
    '0x7ffd0ffc "/etc" <user page not present after this>',
  );
  const long = new UserMemory(recordedReader({}, new Map(), new Map([[0x10000n, new Uint8Array(0x1000).fill(0x61)]])), 'x86_64');
  assert.equal(userStringValue(0x10000n, await long.string(0x10000n, { threadId: 1 }, 8)), '0x10000 "aaaaaaaa"...');
  assert.equal(quoteCString(Uint8Array.from([0x22, 0x5c, 0x0a, 0x01, 0x41])), '"\\"\\\\\\n\\001A"');
});

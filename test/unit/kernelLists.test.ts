// List walks on a fake kernel memory: a well-formed list, a loop that never reaches the head,
// a NULL next pointer, the walk limit, an hlist, and the Watch hint form.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelReader } from '../../src/adapter/kernel/kernelReader';
import { knownList, listSummary, parseListHint, splitMember, walkList, type ListShape } from '../../src/adapter/kernel/lists';

const HEAD = 0xffffffff82a0c000n;
const OFFSET = 0x4e8n; // offsetof(struct task_struct, tasks) on Debian's 6.1 x86_64 kernel

/** Memory of 8-byte words (the next pointers) and per-entry comm bytes. */
function reader(words: Map<bigint, bigint>, comms = new Map<bigint, string>()): KernelReader {
  return {
    value: async (expression) => {
      if (expression === '(unsigned long)&(init_task.tasks)') return String(HEAD);
      if (expression === '(unsigned long)&((struct task_struct *)0)->tasks') return String(OFFSET);
      if (expression === '(unsigned long)&((struct task_struct *)0)->comm') return '3024';
      if (expression === 'sizeof(((struct task_struct *)0)->comm)') return '16';
      throw new Error(`unexpected ${expression}`);
    },
    bytes: async (address, length) => {
      const word = words.get(address);
      if (word !== undefined && length === 8)
        return Uint8Array.from({ length: 8 }, (_, index) => Number((word >> BigInt(8 * index)) & 0xffn));
      const comm = comms.get(address);
      if (comm !== undefined) return Uint8Array.from({ length }, (_, index) => comm.charCodeAt(index) || 0);
      throw new Error(`Cannot access memory at address 0x${address.toString(16)}`);
    },
    type: async () => 'struct list_head',
  };
}

const tasks = knownList('init_task.tasks', 'struct task_struct', 'tasks')!;
const nodes = [0xffff888003000000n, 0xffff888003008000n, 0xffff888003010000n].map((task) => task + OFFSET);

function ring(next: readonly bigint[]): Map<bigint, bigint> {
  return new Map([[HEAD, next[0]!], ...next.map((node, index): [bigint, bigint] => [node, next[index + 1] ?? HEAD])]);
}

test('a list walks to its containing structures, labelled, in order, and its length is shown', async () => {
  const comms = new Map(nodes.map((node, index): [bigint, string] => [node - OFFSET + 3024n, ['init', 'kthreadd', 'rcu_gp'][index]!]));
  const walk = await walkList(reader(ring(nodes), comms), 'init_task.tasks', tasks, undefined);
  assert.deepEqual(
    walk.entries.map((entry) => [entry.expression, entry.label]),
    [
      ['*(struct task_struct *)0xffff888003000000', 'init'],
      ['*(struct task_struct *)0xffff888003008000', 'kthreadd'],
      ['*(struct task_struct *)0xffff888003010000', 'rcu_gp'],
    ],
  );
  assert.equal(listSummary(walk, tasks), '3 × struct task_struct');
  assert.equal(
    listSummary(await walkList(reader(new Map([[HEAD, HEAD]])), 'init_task.tasks', tasks, undefined), tasks),
    'empty list of struct task_struct',
  );
});

test('a loop, a NULL next pointer and the limit stop the walk, saying why', async () => {
  const loop = ring(nodes);
  loop.set(nodes[2]!, nodes[1]!);
  assert.equal(
    listSummary(await walkList(reader(loop), 'init_task.tasks', tasks, undefined), tasks),
    '3+ × struct task_struct (the list loops back to entry 1 without reaching its head)',
  );
  const broken = ring(nodes);
  broken.set(nodes[1]!, 0n);
  assert.equal(
    listSummary(await walkList(reader(broken), 'init_task.tasks', tasks, undefined), tasks),
    '2+ × struct task_struct (a NULL next pointer after 2 entries)',
  );
  assert.equal(
    listSummary(await walkList(reader(ring(nodes)), 'init_task.tasks', tasks, undefined, 2), tasks),
    '2+ × struct task_struct (walk stopped at 2 entries)',
  );
});

test('an hlist ends at NULL', async () => {
  const shape: ListShape = { entryType: 'struct task_struct', member: 'tasks', kind: 'hlist' };
  const words = new Map([
    [HEAD, nodes[0]!],
    [nodes[0]!, nodes[1]!],
    [nodes[1]!, 0n],
  ]);
  assert.equal((await walkList(reader(words), 'init_task.tasks', shape, undefined)).entries.length, 2);
});

test('the hint form, the table and member paths', () => {
  assert.deepEqual(parseListHint('list:(struct task_struct, tasks) init_task.tasks'), {
    shape: { entryType: 'struct task_struct', member: 'tasks', kind: 'list', label: 'comm' },
    head: 'init_task.tasks',
  });
  assert.deepEqual(parseListHint('hlist:(struct dentry, d_u.d_alias) inode->i_dentry')?.shape, {
    entryType: 'struct dentry',
    member: 'd_u.d_alias',
    kind: 'hlist',
  });
  assert.equal(parseListHint('init_task.tasks'), undefined);
  assert.throws(() => parseListHint('list:(task_struct tasks) x'), /Not a list hint: write list:\(struct TYPE, member\) EXPRESSION/);
  assert.equal(knownList('modules', undefined, undefined)?.entryType, 'struct module');
  assert.equal(knownList('x.children', 'struct task_struct', 'children')?.member, 'sibling');
  assert.equal(
    knownList('x.sibling', 'struct task_struct', 'sibling'),
    undefined,
    'sibling nodes pass through the parent: not a list of tasks',
  );
  assert.deepEqual(splitMember('init_task.tasks'), { parent: 'init_task', member: 'tasks' });
  assert.deepEqual(splitMember('p->children'), { parent: '*(p)', member: 'children' });
});

test('an rb tree walks in order; a node reached twice stops the walk', async () => {
  // Node addresses; each rb_node is __rb_parent_color, rb_right, rb_left.
  const [a, b, c, d, e] = [0x1000n, 0x2000n, 0x3000n, 0x4000n, 0x5000n];
  // In order: a < b < c < d < e, with d at the root:   d -> (b -> (a, c), e)
  const tree = new Map<bigint, [bigint, bigint]>([
    [d, [e, b]],
    [b, [c, a]],
    [a, [0n, 0n]],
    [c, [0n, 0n]],
    [e, [0n, 0n]],
  ]);
  const treeReader = (nodes: Map<bigint, [bigint, bigint]>): KernelReader => ({
    value: async (expression) => (expression === '(unsigned long)&(vmap_area_root)' ? String(HEAD) : '0'),
    bytes: async (address, length) => {
      if (address === HEAD && length === 8) return Uint8Array.from({ length: 8 }, (_, index) => Number((d >> BigInt(8 * index)) & 0xffn));
      const [right, left] = nodes.get(address) ?? assert.fail(`read at 0x${address.toString(16)}`);
      const bytes = new Uint8Array(24);
      const view = new DataView(bytes.buffer);
      view.setBigUint64(8, right, true);
      view.setBigUint64(16, left, true);
      return bytes;
    },
    type: async () => 'struct rb_root',
  });
  const shape: ListShape = { entryType: 'struct vmap_area', member: 'rb_node', kind: 'rbtree' };
  const walk = await walkList(treeReader(tree), 'vmap_area_root', shape, undefined);
  assert.deepEqual(
    walk.entries.map((entry) => entry.address),
    [a, b, c, d, e],
  );
  assert.equal(listSummary(walk, shape), '5 × struct vmap_area in a tree');
  const looped = new Map(tree);
  looped.set(c, [d, 0n]);
  assert.match(
    listSummary(await walkList(treeReader(looped), 'vmap_area_root', shape, undefined), shape),
    /^3\+ × struct vmap_area in a tree \(the tree reaches node 0x4000 twice\)$/,
  );
  assert.deepEqual(parseListHint('rb:(struct vmap_area, rb_node) vmap_area_root')?.shape.kind, 'rbtree');
});

test('an xarray walks its nodes to entries at their indexes; value entries are numbers, internal ones skipped', async () => {
  const xarray = 0xffff888000100000n;
  const node = 0xffff888000200000n; // shift 6: slot i covers indexes i*64 ..
  const leaf = 0xffff888000300000n; // shift 0
  const slotsOffset = 0x28n;
  const words = new Map<bigint, bigint>([[xarray + 8n, node | 2n]]);
  const nodeSlots = new Array<bigint>(64).fill(0n);
  nodeSlots[0] = leaf | 2n;
  nodeSlots[2] = 0xffff888000400000n; // a pointer entry at index 128
  const leafSlots = new Array<bigint>(64).fill(0n);
  leafSlots[1] = 0xffff888000500000n;
  leafSlots[3] = (7n << 1n) | 1n; // xa_mk_value(7)
  leafSlots[4] = (2n << 2n) | 2n; // a sibling entry: skipped
  const slotBytes = (slots: bigint[]) => {
    const bytes = new Uint8Array(512);
    slots.forEach((slot, index) => new DataView(bytes.buffer).setBigUint64(index * 8, slot, true));
    return bytes;
  };
  const reader: KernelReader = {
    value: async (expression) =>
      ({
        '(unsigned long)&((init_pid_ns.idr).idr_rt)': String(xarray),
        '(unsigned long)&((struct xarray *)0)->xa_head': '8',
        '(unsigned long)&((struct xa_node *)0)->slots': String(slotsOffset),
        'sizeof(((struct xa_node *)0)->slots)': '512',
      })[expression] ?? assert.fail(`unexpected ${expression}`),
    bytes: async (address, length) => {
      if (address === node && length === 1) return Uint8Array.from([6]);
      if (address === leaf && length === 1) return Uint8Array.from([0]);
      if (address === node + slotsOffset) return slotBytes(nodeSlots);
      if (address === leaf + slotsOffset) return slotBytes(leafSlots);
      const word = words.get(address) ?? assert.fail(`read at 0x${address.toString(16)}`);
      return Uint8Array.from({ length: 8 }, (_, index) => Number((word >> BigInt(8 * index)) & 0xffn));
    },
    type: async () => 'struct idr',
  };
  const shape = knownList('init_pid_ns.idr', 'struct pid_namespace', 'idr')!;
  const walk = await walkList(reader, 'init_pid_ns.idr', shape, undefined);
  assert.deepEqual(
    walk.entries.map((entry) => [entry.key, entry.plain ?? entry.expression]),
    [
      ['1', '*(struct pid *)0xffff888000500000'],
      ['3', 'value 7'],
      ['128', '*(struct pid *)0xffff888000400000'],
    ],
  );
  assert.equal(listSummary(walk, shape), '3 × struct pid * in an xarray');
});

/** The same memory, followed as gdb's Python walker (chainWalk.ts) follows it: nodes, the pointer that ended it, labels. */
function chainingReader(words: Map<bigint, bigint>, comms = new Map<bigint, string>()): KernelReader {
  const plain = reader(words, comms);
  return {
    ...plain,
    chain: async ({ head, toNull, limit, label }) => {
      const nodes: bigint[] = [];
      const seen = new Set<bigint>();
      let end: bigint | undefined = words.get(head);
      while (end !== undefined && !(end === 0n || (!toNull && end === head) || seen.has(end) || nodes.length >= limit)) {
        seen.add(end);
        nodes.push(end);
        end = words.get(end);
      }
      const labels = label ? nodes.map((node) => comms.get(node + label.delta)) : undefined;
      return { nodes, end, labels };
    },
  };
}

test('a walk read by gdb in one go gives the same entries, labels and reasons as one read a node', async () => {
  const comms = new Map(nodes.map((node, index): [bigint, string] => [node - OFFSET + 3024n, ['init', 'kthreadd', 'rcu_gp'][index]!]));
  const loop = ring(nodes);
  loop.set(nodes[2]!, nodes[1]!);
  const broken = ring(nodes);
  broken.set(nodes[1]!, 0n);
  const unreadable = ring(nodes);
  unreadable.delete(nodes[1]!);
  for (const memory of [ring(nodes), loop, broken, new Map([[HEAD, HEAD]])]) {
    const oneByOne = await walkList(reader(memory, comms), 'init_task.tasks', tasks, undefined);
    const inOneGo = await walkList(chainingReader(memory, comms), 'init_task.tasks', tasks, undefined);
    assert.deepEqual(inOneGo, oneByOne);
  }
  assert.deepEqual(
    await walkList(chainingReader(ring(nodes), comms), 'init_task.tasks', tasks, undefined, 2),
    await walkList(reader(ring(nodes), comms), 'init_task.tasks', tasks, undefined, 2),
    'the limit',
  );
  await assert.rejects(
    walkList(chainingReader(unreadable, comms), 'init_task.tasks', tasks, undefined),
    /cannot read the next pointer/,
    'a next pointer gdb could not read fails the walk, as one read a node does',
  );
});

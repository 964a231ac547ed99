// Kernel lists and trees read as their entries: a `struct list_head` / `struct hlist_head` /
// `struct rb_root` (or rb_root_cached) whose containing structure the kernel's own types make
// unambiguous (a table of the common ones) or that the user names in Watch with
// `list:(struct T, member) EXPR` (hlist:, rb:), walked to the structures that contain its
// nodes (container_of); a tree in order. Walks are bounded and stop, saying why, at a NULL
// pointer or a node seen before.
import type { FrameContext } from '../../mi/commands';
import { kernelErrors } from './kernelErrors';
import { isPureExpression } from '../stopCache';
import { walkXarray } from './xarray';
import type { ChainRead } from './chainWalk';
import { hex, type KernelReader, littleEndian64, unsigned64 } from './kernelReader';

export interface ListShape {
  /** The containing structure, `struct task_struct`. */
  entryType: string;
  /** Its member the nodes are, `tasks` or `se.group_node`. */
  member: string;
  kind: 'list' | 'hlist' | 'rbtree' | 'xarray';
  /** xarray: the member of the head that is the xarray (`idr_rt` of a struct idr). */
  xarrayPath?: string;
  /** A char array member of the entry that names it (comm, name), shown beside each entry. */
  label?: string;
}

const task = (member: string): ListShape => ({ entryType: 'struct task_struct', member, kind: 'list', label: 'comm' });

/** Lists that are members of a structure: `TYPE.member` of the head. */
export const MEMBER_LISTS: Readonly<Record<string, ListShape>> = {
  'struct task_struct.tasks': task('tasks'),
  'struct task_struct.children': task('sibling'),
  'struct signal_struct.thread_head': task('thread_node'),
  'struct rq.cfs_tasks': task('se.group_node'),
  'struct super_block.s_inodes': { entryType: 'struct inode', member: 'i_sb_list', kind: 'list' },
  'struct inode.i_dentry': { entryType: 'struct dentry', member: 'd_u.d_alias', kind: 'hlist' },
  'struct cfs_rq.tasks_timeline': { entryType: 'struct sched_entity', member: 'run_node', kind: 'rbtree' },
  'struct timerqueue_head.rb_root': { entryType: 'struct timerqueue_node', member: 'node', kind: 'rbtree' },
  'struct pid_namespace.idr': { entryType: 'struct pid', member: '', kind: 'xarray', xarrayPath: 'idr_rt' },
  'struct address_space.i_pages': { entryType: 'struct folio', member: '', kind: 'xarray' },
};

/** An xarray the table does not know: its entries are shown as the pointers they are. */
export const UNTYPED_XARRAY: ListShape = { entryType: '', member: '', kind: 'xarray' };

/** Lists that are global heads, by symbol. */
export const GLOBAL_LISTS: Readonly<Record<string, ListShape>> = {
  modules: { entryType: 'struct module', member: 'list', kind: 'list', label: 'name' },
  super_blocks: { entryType: 'struct super_block', member: 's_list', kind: 'list', label: 's_id' },
  net_namespace_list: { entryType: 'struct net', member: 'list', kind: 'list' },
  crypto_alg_list: { entryType: 'struct crypto_alg', member: 'cra_list', kind: 'list', label: 'cra_name' },
  vmap_area_root: { entryType: 'struct vmap_area', member: 'rb_node', kind: 'rbtree' }, // before 6.9
  free_vmap_area_root: { entryType: 'struct vmap_area', member: 'rb_node', kind: 'rbtree' },
};

/** The head types each kind of walk reads. */
export const HEAD_TYPES: Readonly<Record<ListShape['kind'], readonly string[]>> = {
  list: ['struct list_head'],
  hlist: ['struct hlist_head'],
  rbtree: ['struct rb_root', 'struct rb_root_cached'],
  xarray: ['struct xarray', 'struct idr'],
};

/** Whether gdb's type of a value is a head some walk reads. */
export function isWalkableHead(type: string | undefined): boolean {
  const bare = type === undefined ? '' : bareStruct(type);
  return Object.values(HEAD_TYPES).some((types) => types.includes(bare));
}

/** Entries walked at most, so a huge or corrupt list cannot hang a stop. */
export const LIST_WALK_LIMIT = 1000;

export const LIST_HINT_USAGE =
  'list:(struct TYPE, member) EXPRESSION — e.g. list:(struct task_struct, tasks) ' +
  'init_task.tasks (hlist: for an hlist_head, rb: for an rb_root)';

/** `list:(struct task_struct, tasks) init_task.tasks`: the hint and the head's expression; undefined when it is not the form. */
export function parseListHint(expression: string): { shape: ListShape; head: string } | undefined {
  const form = /^\s*(h?list|rb):/.exec(expression);
  if (!form) return undefined;
  const match = /^\s*(h?list|rb):\s*\(\s*((?:struct|union)\s+\w+|\w+)\s*,\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\)\s*(\S.*)$/.exec(
    expression,
  );
  if (!match) throw kernelErrors.notAListHint(LIST_HINT_USAGE);
  const entryType = match[2]!.replace(/\s+/g, ' ');
  const label = [...Object.values(GLOBAL_LISTS), ...Object.values(MEMBER_LISTS)].find(
    (shape) => shape.entryType === entryType && shape.label,
  )?.label;
  return {
    shape: {
      entryType,
      member: match[3]!,
      kind: match[1] === 'rb' ? 'rbtree' : (match[1] as 'list' | 'hlist'),
      ...(label ? { label } : {}),
    },
    head: match[4]!.trim(),
  };
}

/** The table's shape for a head: a global symbol, or `parent.member` with the parent's type. */
export function knownList(headExpression: string, parentType: string | undefined, member: string | undefined): ListShape | undefined {
  const global = GLOBAL_LISTS[headExpression.trim()];
  if (global) return global;
  if (!parentType || !member) return undefined;
  // A var-object of a pointer to a struct lists the struct's members as its own.
  return MEMBER_LISTS[`${bareStruct(parentType).replace(/\s*\*$/, '')}.${member}`];
}

/** `init_task.tasks` → parent `init_task`, member `tasks`; `p->children` → `*(p)`, `children`. */
export function splitMember(expression: string): { parent: string; member: string } | undefined {
  const match = /^(.*\S)\s*(\.|->)\s*([A-Za-z_]\w*)\s*$/.exec(expression);
  if (!match) return undefined;
  return { parent: match[2] === '->' ? `*(${match[1]})` : match[1]!, member: match[3]! };
}

function bareStruct(type: string): string {
  return type.replace(/\b(const|volatile)\s+/g, '').trim();
}

export interface ListEntry {
  index: number;
  /** The name shown when it is not the position: an xarray entry's index. */
  key?: string;
  /** What is shown for an entry that is not a structure (an xarray value or untyped pointer). */
  plain?: string;
  address: bigint;
  label?: string;
  /** The entry as a gdb expression: `*(struct task_struct *)0x…`. */
  expression: string;
}

export interface ListWalk {
  entries: ListEntry[];
  /** Why the walk ended before the head came round again (limit, NULL, loop); undefined when it did. */
  stopped?: string;
}

/** Walks the list whose head is the lvalue `head`. */
export async function walkList(
  reader: KernelReader,
  head: string,
  shape: ListShape,
  context: FrameContext | undefined,
  limit = LIST_WALK_LIMIT,
  sample?: string,
): Promise<ListWalk> {
  if (shape.kind === 'xarray') return xarrayEntries(reader, head, shape, context, limit);
  const read64 = async (address: bigint) => littleEndian64(await reader.bytes(address, 8));
  const measure = sample === undefined ? undefined : { sample, context };
  const [headAddress, offset, label] = await Promise.all([
    reader.value(`(unsigned long)&(${head})`, context).then(unsigned64),
    layoutValue(
      reader,
      `(unsigned long)&((${shape.entryType} *)0)->${shape.member}`,
      measure && offsetThrough(measure.sample, shape.member),
      context,
    ).then(unsigned64),
    shape.label ? labelLayout(reader, shape, measure) : undefined,
  ]);
  const toNull = shape.kind === 'hlist';
  const read =
    shape.kind === 'rbtree'
      ? undefined
      : await reader.chain?.({
          head: headAddress,
          toNull,
          limit,
          ...(label ? { label: { delta: label.offset - offset, length: label.length } } : {}),
        });
  const { nodes, stopped } =
    shape.kind === 'rbtree'
      ? await treeNodes(reader, await read64(headAddress), limit)
      : await chainNodes(read ? replay(read) : read64, headAddress, toNull, limit);
  const entries = await Promise.all(
    nodes.map(async (nodeAddress, index): Promise<ListEntry> => {
      const address = BigInt.asUintN(64, nodeAddress - offset);
      const name = !label ? undefined : read?.labels ? read.labels[index] : await readLabel(reader, address + label.offset, label.length);
      return { index, address, expression: `*(${shape.entryType} *)${hex(address)}`, ...(name !== undefined ? { label: name } : {}) };
    }),
  );
  return { entries, ...(stopped ? { stopped } : {}) };
}

async function xarrayEntries(
  reader: KernelReader,
  head: string,
  shape: ListShape,
  context: FrameContext | undefined,
  limit: number,
): Promise<ListWalk> {
  const xarray = unsigned64(await reader.value(`(unsigned long)&(${shape.xarrayPath ? `(${head}).${shape.xarrayPath}` : head})`, context));
  const walk = await walkXarray(reader, xarray, limit);
  const entries = walk.entries.map((entry, index): ListEntry => {
    const key = entry.index.toString();
    if (entry.value !== undefined) return { index, key, address: entry.entry, expression: '', plain: `value ${entry.value}` };
    if (!shape.entryType) return { index, key, address: entry.entry, expression: '', plain: hex(entry.entry) };
    return { index, key, address: entry.entry, expression: `*(${shape.entryType} *)${hex(entry.entry)}` };
  });
  return walk.stopped ? { entries, stopped: walk.stopped } : { entries };
}

/** The next pointers gdb read in one go, answered in the order chainNodes asks for them (the head's, then each node's). */
function replay(read: ChainRead): (address: bigint) => Promise<bigint> {
  const answers = read.end === undefined ? read.nodes : [...read.nodes, read.end];
  let asked = 0;
  return async (address) => {
    const answer = answers[asked++];
    if (answer === undefined) throw new Error(`cannot read the next pointer at ${hex(address)}`);
    return answer;
  };
}

/** The nodes of a list_head ring (back at the head) or an hlist chain (to NULL). */
async function chainNodes(
  read64: (address: bigint) => Promise<bigint>,
  headAddress: bigint,
  toNull: boolean,
  limit: number,
): Promise<{ nodes: bigint[]; stopped?: string }> {
  const nodes: bigint[] = [];
  const seen = new Set<bigint>();
  // list_head.next and hlist_head.first / hlist_node.next are all at offset 0.
  let node = await read64(headAddress);
  let stopped: string | undefined;
  while (toNull ? node !== 0n : node !== headAddress) {
    if (node === 0n) {
      stopped = `a NULL next pointer after ${nodes.length} entries`;
      break;
    }
    if (seen.has(node)) {
      stopped = `the list loops back to entry ${nodes.indexOf(node)} without reaching its head`;
      break;
    }
    if (nodes.length >= limit) {
      stopped = `walk stopped at ${limit} entries`;
      break;
    }
    seen.add(node);
    nodes.push(node);
    node = await read64(node);
  }
  return stopped ? { nodes, stopped } : { nodes };
}

/** An rb tree's nodes in order (rb_node: __rb_parent_color, rb_right, rb_left). */
async function treeNodes(reader: KernelReader, root: bigint, limit: number): Promise<{ nodes: bigint[]; stopped?: string }> {
  const nodes: bigint[] = [];
  const seen = new Set<bigint>();
  const rights = new Map<bigint, bigint>();
  const path: bigint[] = [];
  let node = root;
  while (node !== 0n || path.length > 0) {
    while (node !== 0n) {
      if (seen.has(node)) return { nodes, stopped: `the tree reaches node 0x${node.toString(16)} twice` };
      if (seen.size >= limit) return { nodes, stopped: `walk stopped at ${limit} entries` };
      seen.add(node);
      const fields = await reader.bytes(node, 24);
      rights.set(node, littleEndian64(fields, 8));
      path.push(node);
      node = littleEndian64(fields, 16);
    }
    const next = path.pop()!;
    nodes.push(next);
    node = rights.get(next)!;
  }
  return { nodes };
}

/**
 * A question only the types answer (`expression`): once per session where the reader keeps
 * them. `through`, when given, is the same question asked through a value of the type, which
 * gdb answers without looking the type up by name (~15 ms each time for struct task_struct,
 * ~170 ms the first time).
 */
function layoutValue(reader: KernelReader, expression: string, through?: string, context?: FrameContext): Promise<string> {
  const ask = through ?? expression;
  if (!reader.layout) return reader.value(ask, through === undefined ? undefined : context);
  return reader.layout(expression, ask, through === undefined ? undefined : context);
}

/** The offset of `member` in the type of the lvalue `sample`, through it. */
function offsetThrough(sample: string, member: string): string {
  return `(unsigned long)&((${sample}).${member}) - (unsigned long)&(${sample})`;
}

async function labelLayout(
  reader: KernelReader,
  shape: ListShape,
  measure?: { sample: string; context: FrameContext | undefined },
): Promise<{ offset: bigint; length: number } | undefined> {
  const entry = `((${shape.entryType} *)0)->${shape.label}`;
  try {
    const [offset, length] = await Promise.all([
      layoutValue(reader, `(unsigned long)&${entry}`, measure && offsetThrough(measure.sample, shape.label!), measure?.context),
      layoutValue(reader, `sizeof(${entry})`, measure && `sizeof((${measure.sample}).${shape.label})`, measure?.context),
    ]);
    return { offset: unsigned64(offset), length: Number(length) };
  } catch {
    return undefined; // this kernel's type has no such member: entries go unlabelled
  }
}

async function readLabel(reader: KernelReader, address: bigint, length: number): Promise<string | undefined> {
  try {
    const bytes = await reader.bytes(address, length);
    const end = bytes.indexOf(0);
    return Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString('latin1');
  } catch {
    return undefined;
  }
}

/** The one-line value of a walked list. */
export function listSummary(walk: ListWalk, shape: ListShape): string {
  const count = walk.entries.length;
  if (shape.kind === 'xarray') {
    const what = shape.entryType ? `${shape.entryType} *` : 'entries';
    return walk.stopped
      ? `${count}+ ${what} in an xarray (${walk.stopped})`
      : count === 0
        ? 'empty xarray'
        : `${count} × ${what} in an xarray`;
  }
  if (shape.kind === 'rbtree')
    return walk.stopped
      ? `${count}+ × ${shape.entryType} in a tree (${walk.stopped})`
      : count === 0
        ? `empty tree of ${shape.entryType}`
        : `${count} × ${shape.entryType} in a tree`;
  const what = `${count}${walk.stopped ? '+' : ''} × ${shape.entryType}`;
  return walk.stopped ? `${what} (${walk.stopped})` : count === 0 ? `empty list of ${shape.entryType}` : what;
}

/** An xarray is walkable whatever holds it; its entries are then untyped pointers. */
function untypedShape(type: string | undefined): ListShape | undefined {
  return type !== undefined && bareStruct(type) === 'struct xarray' ? UNTYPED_XARRAY : undefined;
}

/** Finds the shape of a list head (by the table or a hint) and walks it. */
export class KernelLists {
  constructor(private readonly reader: KernelReader) {}

  /** A Watch hint `list:(struct T, member) EXPR`; undefined when the expression is not one. */
  async fromHint(expression: string, context: FrameContext | undefined): Promise<{ shape: ListShape; walk: ListWalk } | undefined> {
    const hint = parseListHint(expression);
    if (!hint) return undefined;
    if (!isPureExpression(hint.head)) throw kernelErrors.listHeadNotReadOnly(hint.head, LIST_HINT_USAGE);
    const type = bareStruct(await this.reader.type(hint.head, context));
    const expected = HEAD_TYPES[hint.shape.kind].join(' or ');
    if (!HEAD_TYPES[hint.shape.kind].includes(type)) throw kernelErrors.listHeadType(hint.head, type, expected, LIST_HINT_USAGE);
    return { shape: hint.shape, walk: await walkList(this.reader, hint.head, hint.shape, context) };
  }

  /** A list head evaluated on its own: a global of the table, or a member of a structure of the table. */
  async fromExpression(
    expression: string,
    context: FrameContext | undefined,
    type?: string,
  ): Promise<{ shape: ListShape; walk: ListWalk } | undefined> {
    if (!isPureExpression(expression)) return undefined; // read again for the walk: only what cannot change the kernel
    let shape = knownList(expression, undefined, undefined);
    if (!shape) {
      const split = splitMember(expression);
      if (!split) return undefined;
      const parentType = await this.reader.type(split.parent, context).catch(() => undefined);
      shape = knownList(expression, parentType, split.member);
    }
    shape ??= untypedShape(type);
    return shape ? { shape, walk: await walkList(this.reader, expression, shape, context) } : undefined;
  }

  /** A list head shown as a member (`tasks` of an expanded task_struct) at C expression `path`. */
  async fromMember(
    parentType: string | undefined,
    member: string,
    path: string,
    context: FrameContext | undefined,
    type?: string,
  ): Promise<{ shape: ListShape; walk: ListWalk } | undefined> {
    const shape = knownList('', parentType, member) ?? untypedShape(type);
    // The parent is itself an entry of the list's type (task_struct's tasks): offsets are asked through it.
    const parent = splitMember(path)?.parent;
    const sample =
      parent !== undefined && parentType !== undefined && shape && bareStruct(parentType) === shape.entryType ? parent : undefined;
    return shape ? { shape, walk: await walkList(this.reader, path, shape, context, LIST_WALK_LIMIT, sample) } : undefined;
  }
}

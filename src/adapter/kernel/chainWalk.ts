// A list_head ring or hlist chain followed inside gdb in one command: a small Python function
// reads each next pointer (and each entry's label) itself. Followed from here, every hop was an
// MI round trip of its own, one after the other: expanding init_task walked its `tasks` and
// `children` lists at ~1 ms a hop, most of the warm expansion's time. The walk's rules (NULL,
// a loop, the limit) stay in lists.ts, which replays what was read here.
import { quote, type MiCommand } from '../../mi/commands';

/** What gdb read: the nodes in order, the pointer that ended the walk, and each entry's label (null where unreadable). */
export interface ChainRead {
  nodes: bigint[];
  /** The next pointer after the last node (undefined: reading it failed). */
  end: bigint | undefined;
  labels: Array<string | undefined> | undefined;
}

/** `label`: where an entry's name is, relative to its node (label offset - member offset), and its length. */
export interface ChainQuery {
  head: bigint;
  toNull: boolean;
  limit: number;
  label?: { delta: bigint; length: number };
}

export const CHAIN_PYTHON = `
def kernel_qemu_chain(head, to_null, limit, label_delta, label_length):
    import json
    mask = 0xffffffffffffffff
    inferior = gdb.selected_inferior()
    def u64(address):
        return int.from_bytes(bytes(inferior.read_memory(address, 8)), 'little')
    def label(text):
        return text.split(b'\\0')[0].decode('latin-1')
    # Where the label is near the next pointer, one read per node takes both.
    low = min(0, label_delta)
    high = max(8, label_delta + label_length)
    together = label_length > 0 and high - low <= 1024
    nodes = []
    labels = [] if label_length > 0 else None
    seen = set()
    end = None
    try:
        node = u64(head)
        while True:
            if node == 0 or (not to_null and node == head) or node in seen or len(nodes) >= limit:
                end = node
                break
            seen.add(node)
            nodes.append(node)
            if together:
                span = bytes(inferior.read_memory((node + low) & mask, high - low))
                labels.append(label(span[label_delta - low:label_delta - low + label_length]))
                node = int.from_bytes(span[-low:-low + 8], 'little')
            else:
                node = u64(node)
    except (gdb.error, gdb.MemoryError):
        end = None
    if labels is not None and not together:
        for node in nodes:
            try:
                labels.append(label(bytes(inferior.read_memory((node + label_delta) & mask, label_length))))
            except (gdb.error, gdb.MemoryError):
                labels.append(None)
    if labels is not None:
        labels = labels + [None] * (len(nodes) - len(labels))
    print(json.dumps({'nodes': [str(node) for node in nodes], 'end': None if end is None else str(end), 'labels': labels}))
`;

/** Defines the function in gdb (once per session); it only reads, like every call. */
export function defineChainCommand(): MiCommand {
  return { text: `-interpreter-exec console ${quote(`python exec(${JSON.stringify(CHAIN_PYTHON)})`)}`, expect: ['done'], stopStable: true };
}

export function chainCommand(query: ChainQuery): MiCommand {
  const label = query.label ? `${query.label.delta}, ${query.label.length}` : '0, 0';
  const call = `python kernel_qemu_chain(${query.head}, ${query.toNull ? 'True' : 'False'}, ${query.limit}, ${label})`;
  return { text: `-interpreter-exec console ${quote(call)}`, expect: ['done'], stopStable: true };
}

/** gdb's printed answer; undefined when it is not one. */
export function parseChain(printed: string): ChainRead | undefined {
  try {
    const parsed = JSON.parse(printed.trim()) as { nodes?: unknown; end?: unknown; labels?: unknown };
    if (!Array.isArray(parsed.nodes) || !parsed.nodes.every((node) => typeof node === 'string')) return undefined;
    const labels = Array.isArray(parsed.labels)
      ? parsed.labels.map((label: unknown) => (typeof label === 'string' ? label : undefined))
      : undefined;
    return {
      nodes: parsed.nodes.map((node) => BigInt(node)),
      end: typeof parsed.end === 'string' ? BigInt(parsed.end) : undefined,
      labels,
    };
  } catch {
    return undefined;
  }
}

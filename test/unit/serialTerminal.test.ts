// The serial console terminals against a stand-in `vscode` module: one terminal per running
// session, and the terminal of an ended session taken over by the next session instead of
// a second one opening beside it; a terminal the user closed is never reused.
import assert from 'node:assert/strict';
import Module from 'node:module';
import { test } from 'node:test';

type Listener<T> = (value: T) => void;

class EventEmitter<T> {
  private readonly listeners: Array<Listener<T>> = [];
  event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose() {} };
  };
  fire(value: T): void {
    for (const listener of this.listeners) listener(value);
  }
  dispose(): void {}
}

interface Pty {
  onDidWrite(listener: Listener<string>): unknown;
  onDidChangeName?(listener: Listener<string>): unknown;
  open(): void;
  close(): void;
  handleInput(keys: string): void;
}

/** A terminal as the test sees it: what was written, its names, and the pty to type into or close. */
interface FakeTerminal {
  pty: Pty;
  names: string[];
  text: string[];
  shown: number;
}

interface FakeSession {
  id: string;
  name: string;
  type: string;
  configuration: { request: string };
  requests: Array<{ command: string; args?: unknown }>;
  customRequest(command: string, args?: unknown): Promise<unknown>;
}

const terminals: FakeTerminal[] = [];
const started = new EventEmitter<FakeSession>();
const terminated = new EventEmitter<FakeSession>();
const customEvents = new EventEmitter<{ session: FakeSession; event: string; body: unknown }>();
const disposable = () => ({ dispose() {} });

const vscodeStub = {
  EventEmitter,
  window: {
    createTerminal({ name, pty }: { name: string; pty: Pty }) {
      const terminal: FakeTerminal = { pty, names: [name], text: [], shown: 0 };
      pty.onDidWrite((text) => terminal.text.push(text));
      pty.onDidChangeName?.((next) => terminal.names.push(next));
      terminals.push(terminal);
      return {
        show() {
          terminal.shown += 1;
        },
      };
    },
  },
  debug: {
    onDidStartDebugSession: started.event,
    onDidTerminateDebugSession: terminated.event,
    onDidReceiveDebugSessionCustomEvent: customEvents.event,
    activeDebugSession: undefined,
  },
  workspace: { getConfiguration: () => ({ get: <T>(_key: string, fallback: T): T => fallback }) },
  commands: { registerCommand: disposable },
};

const moduleInternals = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const realLoad = moduleInternals._load;
moduleInternals._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? vscodeStub : realLoad.call(this, request, ...rest);
};

function session(id: string): FakeSession {
  const requests: FakeSession['requests'] = [];
  return {
    id,
    name: `session ${id}`,
    type: 'kernel-qemu',
    configuration: { request: 'launch' },
    requests,
    async customRequest(command: string, args?: unknown) {
      requests.push({ command, args });
      return command === 'kernelQemu.serialTerminal.open' ? { backlog: `boot ${id}\n` } : {};
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("an ended session's serial terminal is reused by the next session, not left beside it", async () => {
  const { registerSerialTerminal } = await import('../../src/extension/serialTerminal');
  registerSerialTerminal({ subscriptions: [] } as never);

  const a = session('A');
  started.fire(a);
  assert.equal(terminals.length, 1);
  const [first] = terminals as [FakeTerminal];
  first.pty.open();
  await settle();
  customEvents.fire({ session: a, event: 'kernelQemu.serialOutput', body: { text: 'login\n' } });
  assert.deepEqual(first.text, ['boot A\r\n', 'login\r\n']);

  terminated.fire(a);
  assert.match(first.text.join(''), /\[kernel-qemu session ended\]/);

  // The next session takes the same terminal over: renamed, its backlog there, typing goes to it.
  const b = session('B');
  started.fire(b);
  await settle();
  assert.equal(terminals.length, 1, 'no second terminal');
  assert.deepEqual(first.names, ['Kernel serial: session A', 'Kernel serial: session B']);
  assert.match(first.text.join(''), /session ended\][\s\S]*boot B\r\n$/);
  first.pty.handleInput('ls\r');
  await settle();
  assert.deepEqual(b.requests.at(-1), { command: 'kernelQemu.serialInput', args: { text: 'ls\n' } });
  assert.ok(!a.requests.some((r) => r.command === 'kernelQemu.serialInput'), 'nothing typed goes to the ended session');
  customEvents.fire({ session: a, event: 'kernelQemu.serialOutput', body: { text: 'stale\n' } });
  assert.doesNotMatch(first.text.join(''), /stale/);

  // Two sessions at once: each has its own.
  const c = session('C');
  started.fire(c);
  assert.equal(terminals.length, 2);

  // A terminal the user closed is not handed out again.
  first.pty.close();
  await settle();
  assert.deepEqual(b.requests.at(-1), { command: 'kernelQemu.serialTerminal.close', args: undefined });
  terminated.fire(b);
  started.fire(session('D'));
  assert.equal(terminals.length, 3, 'a new terminal for D: B closed its own and C still runs');
});

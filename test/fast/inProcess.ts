// The real KernelQemuSession (src/adapter/session.ts) run inside the test process, driven by
// the test support's DebugClient over a pair of in-memory streams: no adapter process, no build.
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { KernelQemuSession } from '../../src/adapter/session';

export const FAST_DIR = __dirname;
export const SCRIPTED_GDB = path.join(FAST_DIR, 'scriptedGdb.mjs');
export const RECORDING_GDB = path.join(FAST_DIR, 'recordingGdb.mjs');

export class InProcessClient extends DebugClient {
  readonly session = new KernelQemuSession();

  constructor() {
    super('unused', 'unused', 'kernel-qemu');
    this.defaultTimeout = 10_000;
  }

  /** Connects the client to the session (DebugClient.start would spawn an adapter process). */
  override start(): Promise<void> {
    const toSession = new PassThrough();
    const fromSession = new PassThrough();
    this.session.setRunAsServer(true);
    this.session.start(toSession, fromSession);
    this.connect(fromSession, toSession);
    return Promise.resolve();
  }

  /** Disconnects (the session ends gdb) and waits until the session has let go of it. */
  override async stop(): Promise<void> {
    await this.disconnectRequest({ terminateDebuggee: false }).catch(() => undefined);
    await this.session.dispose();
  }
}

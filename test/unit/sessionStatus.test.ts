// The status bar's account of a session, from the DAP messages the adapter sends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SESSION_INFO_EVENT } from '../../src/adapter/sessionProtocol';
import { nextStatus, STARTING, statusText, type SessionStatus } from '../../src/extension/sessionStatus';

const event = (name: string, body?: unknown) => ({ seq: 1, type: 'event', event: name, body }) as DebugProtocol.Event;
const response = (command: string, success = true) =>
  ({ seq: 1, type: 'response', request_seq: 1, command, success }) as DebugProtocol.Response;

function replay(...messages: DebugProtocol.ProtocolMessage[]): SessionStatus {
  return messages.reduce(nextStatus, STARTING);
}

test('arch and accelerator from the session info event; stop reason from stopped', () => {
  const status = replay(event(SESSION_INFO_EVENT, { arch: 'x86_64', accel: 'tcg' }), event('stopped', { reason: 'entry', threadId: 1 }));
  assert.deepEqual(statusText(status, 'Kernel'), {
    text: '$(vm) x86_64 · TCG · stopped (entry)',
    tooltip: 'Kernel QEMU session "Kernel": x86_64 guest, TCG accelerator, stopped (entry). Click for the serial console.',
  });
});

test('a panic stop shows its description; a successful continue or step makes it running, a refused one does not', () => {
  const panicked = replay(
    event(SESSION_INFO_EVENT, { arch: 'aarch64', accel: 'attach' }),
    event('stopped', { reason: 'exception', description: 'Kernel panic: sysrq triggered crash' }),
  );
  assert.equal(statusText(panicked, 's').text, '$(vm) aarch64 · attached · stopped (Kernel panic: sysrq triggered crash)');
  assert.equal(nextStatus(panicked, response('continue', false)), panicked);
  assert.equal(nextStatus(panicked, response('next')).state, 'running');
  assert.equal(nextStatus(panicked, event('continued', { threadId: 1 })).state, 'running');
  assert.equal(nextStatus(panicked, response('stackTrace')), panicked, 'other responses change nothing');
});

test('before the debugger connects the item says the session is starting', () => {
  assert.equal(statusText(STARTING, 's').text, '$(vm) kernel: starting');
});

test('with stopAtEntry off the guest is running once configurationDone is answered; an entry stop that came first stands', () => {
  const info = event(SESSION_INFO_EVENT, { arch: 'x86_64', accel: 'tcg', ssh: { port: 40022, withServer: true } });
  assert.equal(replay(info, response('configurationDone')).state, 'running');
  assert.equal(statusText(replay(info, response('configurationDone')), 's').text, '$(vm) x86_64 · TCG · running · ssh :40022');
  assert.equal(replay(info, event('stopped', { reason: 'entry', threadId: 1 }), response('configurationDone')).state, 'stopped');
  assert.equal(replay(info, response('configurationDone', false)).state, 'starting');
});

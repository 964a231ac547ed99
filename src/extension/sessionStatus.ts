// What the status bar says about a kernel-qemu session, from the DAP messages its adapter
// sends. Pure (no vscode import), so it is unit-tested on recorded messages.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SESSION_INFO_EVENT, type SessionInfo } from '../adapter/sessionProtocol';

export type VmState = 'starting' | 'running' | 'stopped';

export interface SessionStatus {
  info?: SessionInfo;
  state: VmState;
  /** Why it stopped (DAP stop reason, or the adapter's description such as a panic). */
  reason?: string;
}

/** Requests whose success means the guest runs again. */
const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

export const STARTING: SessionStatus = { state: 'starting' };

export function nextStatus(status: SessionStatus, message: DebugProtocol.ProtocolMessage): SessionStatus {
  if (message.type === 'event') {
    const event = message as DebugProtocol.Event;
    if (event.event === SESSION_INFO_EVENT) return { ...status, info: event.body as SessionInfo };
    if (event.event === 'stopped') {
      const body = (event as DebugProtocol.StoppedEvent).body;
      return { ...status, state: 'stopped', reason: body.description ?? body.reason };
    }
    if (event.event === 'continued') return { ...status, state: 'running', reason: undefined };
  }
  if (message.type === 'response') {
    const response = message as DebugProtocol.Response;
    if (response.success && RESUMING.has(response.command)) return { ...status, state: 'running', reason: undefined };
    // With stopAtEntry off the kernel runs from configurationDone on; a stop that came first stands.
    if (response.success && response.command === 'configurationDone' && status.state === 'starting') return { ...status, state: 'running' };
  }
  return status;
}

const ACCEL_LABEL: Readonly<Record<SessionInfo['accel'], string>> = { tcg: 'TCG', kvm: 'KVM', attach: 'attached' };

export function statusText(status: SessionStatus, sessionName: string): { text: string; tooltip: string } {
  const state = status.state === 'stopped' && status.reason ? `stopped (${status.reason})` : status.state;
  if (!status.info)
    return { text: `$(vm) kernel: ${state}`, tooltip: `Kernel QEMU session "${sessionName}": ${state}. Click for the serial console.` };
  const accel = ACCEL_LABEL[status.info.accel];
  const ssh = status.info.ssh;
  return {
    text: `$(vm) ${status.info.arch} · ${accel} · ${state}${ssh ? ` · ssh :${ssh.port}` : ''}`,
    tooltip:
      `Kernel QEMU session "${sessionName}": ${status.info.arch} guest, ` +
      (status.info.accel === 'attach' ? 'attached to a running QEMU' : `${accel} accelerator`) +
      `, ${state}. Click for the serial console.` +
      (ssh ? ` The guest's ssh is forwarded from 127.0.0.1:${ssh.port} ("Kernel QEMU: Open SSH Terminal in Guest").` : ''),
  };
}

// The "Kernel QEMU" log output channel (a LogOutputChannel: timestamps, levels, the user picks
// the level). It shows the adapter's kernelQemu.log events: what the Debug Console was told,
// the QEMU command line quoted for a shell, and at trace level the gdb/MI and QMP traffic.
// Created on the first session, so activation costs nothing and no empty channel is listed.
import * as vscode from 'vscode';
import { LOG_EVENT, SET_LOG_LEVEL_REQUEST, type LogArgument, type LogLevel, type LogLine } from '../adapter/sessionProtocol';
import { DEBUG_TYPE } from './contributes';

export const LOG_CHANNEL_NAME = 'Kernel QEMU';

let channel: vscode.LogOutputChannel | undefined;
const sessions = new Set<vscode.DebugSession>();

function levelName(level: vscode.LogLevel): LogLevel {
  switch (level) {
    case vscode.LogLevel.Trace:
      return 'trace';
    case vscode.LogLevel.Debug:
      return 'debug';
    case vscode.LogLevel.Info:
      return 'info';
    case vscode.LogLevel.Warning:
      return 'warning';
    case vscode.LogLevel.Error:
      return 'error';
    default:
      return 'off';
  }
}

function logChannel(): vscode.LogOutputChannel {
  if (channel) return channel;
  const created = vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
  created.onDidChangeLogLevel((level) => {
    // The adapter sends the traffic only at trace level: tell running sessions.
    for (const session of sessions)
      void Promise.resolve(session.customRequest(SET_LOG_LEVEL_REQUEST, { level: levelName(level) } satisfies LogArgument)).catch(
        () => undefined,
      );
  });
  channel = created;
  return created;
}

/** The launch argument that asks the adapter for log events (added to every kernel-qemu launch). */
export function logArgument(): LogArgument {
  return { level: levelName(logChannel().logLevel) };
}

export function registerLogChannel(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    { dispose: () => channel?.dispose() },
    vscode.debug.onDidStartDebugSession((session) => {
      if (session.type === DEBUG_TYPE) sessions.add(session);
    }),
    vscode.debug.onDidTerminateDebugSession((session) => sessions.delete(session)),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((event) => {
      if (event.event !== LOG_EVENT) return;
      const { level, text } = event.body as LogLine;
      if (level === 'trace') logChannel().trace(text);
      else logChannel().info(text);
    }),
  );
}

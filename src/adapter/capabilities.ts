// What this adapter can do, in one place (DAP initialize): each capability has its handler in
// session.ts and the service behind it.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { HARDWARE_MODE } from './breakpoints';
import { KERNEL_EXCEPTION_FILTERS } from './kernel/kernelExceptions';

export const CAPABILITIES: DebugProtocol.Capabilities = {
  supportsConfigurationDoneRequest: true,
  supportsFunctionBreakpoints: true,
  supportsConditionalBreakpoints: true,
  supportsHitConditionalBreakpoints: true,
  supportsLogPoints: true,
  supportsEvaluateForHovers: true,
  supportsTerminateRequest: true,
  supportTerminateDebuggee: true,
  supportsSteppingGranularity: true,
  supportsInstructionBreakpoints: true,
  supportsDataBreakpoints: true,
  supportsDataBreakpointBytes: true,
  supportsReadMemoryRequest: true,
  supportsWriteMemoryRequest: true,
  supportsDisassembleRequest: true,
  supportsSetVariable: true,
  supportsSetExpression: true,
  supportsClipboardContext: true,
  supportsModulesRequest: true,
  supportsExceptionInfoRequest: true,
  supportsRestartRequest: true,
  supportsSingleThreadExecutionRequests: true,
  supportsGotoTargetsRequest: true,
  supportsValueFormattingOptions: true,
  supportsCancelRequest: true,
  exceptionBreakpointFilters: KERNEL_EXCEPTION_FILTERS.map(({ filter, label, description, default: on }) => ({
    filter,
    label,
    description,
    default: on,
  })),
  supportsCompletionsRequest: true,
  completionTriggerCharacters: ['.', '>'],
  breakpointModes: [
    {
      mode: HARDWARE_MODE,
      label: 'Hardware',
      description:
        "A hardware breakpoint: hits before the kernel is relocated and under KVM; uses one of the target's few debug registers.",
      appliesTo: ['source', 'instruction'],
    },
  ],
};

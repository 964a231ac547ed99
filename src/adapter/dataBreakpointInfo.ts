// What a data breakpoint on a variable or an address watches (DAP dataBreakpointInfo): a gdb
// expression as its dataId, or why this one cannot be watched.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { VariableService } from './variables';

const ACCESS_TYPES: DebugProtocol.DataBreakpointAccessType[] = ['write', 'read', 'readWrite'];

export function dataBreakpointInfo(
  args: DebugProtocol.DataBreakpointInfoArguments,
  variables: VariableService,
): DebugProtocol.DataBreakpointInfoResponse['body'] {
  if (args.asAddress) {
    const size = args.bytes && [1, 2, 4, 8].includes(args.bytes) ? args.bytes : 8;
    const cType = { 1: 'unsigned char', 2: 'unsigned short', 4: 'unsigned int', 8: 'unsigned long' }[size as 1 | 2 | 4 | 8];
    return { dataId: `*(${cType} *)${args.name}`, description: `${size} bytes at ${args.name}`, accessTypes: ACCESS_TYPES };
  }
  const expression = args.variablesReference ? variables.evaluateName(args.variablesReference, args.name) : args.name;
  if (!expression || expression.startsWith('$')) {
    return { dataId: null, description: 'Only variables in memory can be watched (not registers or members shown by path).' };
  }
  return { dataId: expression, description: expression, accessTypes: ACCESS_TYPES, canPersist: true };
}

// `do_sys_openat2+0x1a/0x40` or a kernel address from an oops trace -> the source line.
import type { DisassemblyService } from '../disassembly';
import { mi } from '../../mi/commands';
import type { MiConnection } from '../../mi/connection';
import { kernelErrors } from './kernelErrors';

export interface ResolvedLocation {
  path?: string;
  line?: number;
  function?: string;
}

/** Parses `func+0x1a/0x40`, `func+0x1a`, `func` or `0xffffffff8134a350` into a gdb address expression. */
export function locationExpression(location: string): string {
  const text = location.trim();
  if (/^0x[0-9a-f]+$/i.test(text)) return text;
  const match = /^([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-f]+|\d+))?(?:\/(0x[0-9a-f]+|\d+))?(?:\s+\[[\w-]+\])?$/i.exec(text);
  if (!match) throw kernelErrors.notALocation(location);
  return `(unsigned long)&${match[1]} + ${match[2] ?? '0'}`;
}

export async function resolveLocation(
  connection: MiConnection,
  disassembly: DisassemblyService,
  location: string,
): Promise<ResolvedLocation> {
  const value = (await connection.send(mi.evaluate(locationExpression(location)))).results.str('value');
  const address = BigInt(value.split(' ')[0]!);
  // A return address in an oops trace points after the call: look one byte back for the line of the call.
  const probe = /\+0x0*[1-9a-f]/i.test(location) ? address - 1n : address;
  const [instruction] = await disassembly.disassemble({ memoryReference: `0x${probe.toString(16)}`, instructionCount: 1 });
  const symbol = instruction?.symbol?.replace(/\+\d+$/, '');
  return {
    ...(instruction?.location?.path ? { path: instruction.location.path } : {}),
    ...(instruction?.line !== undefined ? { line: instruction.line } : {}),
    ...(symbol ? { function: symbol } : {}),
  };
}

// Hex display (DAP ValueFormat.hex on variables and evaluate): integers gdb printed in decimal
// are shown in hex, negative ones as their two's complement in the type's width (as gdb's
// p/x does). Done on gdb's answer rather than by switching gdb's output-radix, which would
// leak into the requests VS Code sends at the same time.

/** Widths of the C and kernel integer types, in bytes (x86_64 and arm64 are both LP64). */
const WIDTHS: Readonly<Record<string, number>> = {
  char: 1,
  'signed char': 1,
  'unsigned char': 1,
  u8: 1,
  s8: 1,
  __u8: 1,
  __s8: 1,
  bool: 1,
  _Bool: 1,
  short: 2,
  'short int': 2,
  'unsigned short': 2,
  'short unsigned int': 2,
  u16: 2,
  s16: 2,
  __u16: 2,
  __s16: 2,
  int: 4,
  'unsigned int': 4,
  unsigned: 4,
  u32: 4,
  s32: 4,
  __u32: 4,
  __s32: 4,
  pid_t: 4,
  uid_t: 4,
  gid_t: 4,
  long: 8,
  'long int': 8,
  'unsigned long': 8,
  'long unsigned int': 8,
  'long long': 8,
  'long long int': 8,
  'unsigned long long': 8,
  'long long unsigned int': 8,
  u64: 8,
  s64: 8,
  __u64: 8,
  __s64: 8,
  size_t: 8,
  ssize_t: 8,
  loff_t: 8,
};

/** The value in hex when it is a plain integer; anything else (structs, chars, pointers, errors) as it is. */
export function hexValue(value: string, type: string | undefined): string {
  const match = /^(-?\d+)$/.exec(value.trim());
  if (!match) return value;
  const number = BigInt(match[1]!);
  if (number >= 0n) return `0x${number.toString(16)}`;
  const width = type ? WIDTHS[type.replace(/\b(const|volatile)\b/g, '').trim()] : undefined;
  if (!width) return value;
  return `0x${BigInt.asUintN(width * 8, number).toString(16)}`;
}

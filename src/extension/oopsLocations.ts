// Kernel locations in oops and panic traces: `func+0x1a/0x40` frames and raw kernel addresses.

const LOCATION = /\b([A-Za-z_.$][\w.$]*\+0x[0-9a-f]+\/0x[0-9a-f]+)|\b(ffff[0-9a-f]{12})\b/g;

/** The links in one terminal line (pure, for tests). */
export function findOopsLocations(line: string): Array<{ startIndex: number; length: number; location: string }> {
  return [...line.matchAll(LOCATION)].map((match) => ({
    startIndex: match.index ?? 0,
    length: match[0].length,
    location: match[1] ?? `0x${match[2]}`,
  }));
}

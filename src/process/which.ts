// Finds an executable the way execvp would, so a missing tool is reported before we start anything.
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';

export function findExecutable(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : envPath
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return path.resolve(candidate);
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

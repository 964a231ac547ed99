// Once per session, the first stack frame whose source is not on this machine says how to map
// it: VS Code alone shows a bare "Could not load source 'debian/build/…/init/main.c'".
import { existsSync } from 'node:fs';

export class MissingSourceHint {
  private said = false;
  private readonly checked = new Set<string>();

  constructor(
    private readonly print: (text: string) => void,
    private readonly fileExists: (file: string) => boolean = existsSync,
  ) {}

  /** `dwarfPath` as gdb names it, `localPath` after sourceRoot/sourceFileMap. */
  check(dwarfPath: string, localPath: string): void {
    if (this.said || this.checked.has(localPath)) return;
    this.checked.add(localPath);
    if (this.fileExists(localPath)) return;
    this.said = true;
    const dir = dwarfPath.includes('/') ? dwarfPath.slice(0, dwarfPath.lastIndexOf('/')) : dwarfPath;
    this.print(
      `Source ${dwarfPath} is not on this machine. Set "sourceRoot" in the launch configuration ` +
        `to the kernel tree vmlinux was built from ` +
        (`(for Debian's kernels, its linux-source package unpacked), or map the build directory ` +
          `with "sourceFileMap": { "${dir}": "/path/to/it" }.\n`),
    );
  }
}

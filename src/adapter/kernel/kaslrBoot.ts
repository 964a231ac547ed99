// A randomized kernel's boot: without an entry breakpoint (its address is unknown), the kernel
// is stopped silently every KASLR_POLL_MS until it has set up its vector table; then the
// symbols are rebased and run control goes on to the entry stop (or to where the kernel is).
import { errorText } from '../errors';
import type { KaslrDetector, KaslrOffset } from './kaslr';

const KASLR_POLL_MS = 100;
const KASLR_GIVE_UP_MS = 120_000;

/** What the boot needs of run control (runControl.ts). */
export interface KaslrBootRun {
  isClosed(): boolean;
  continue(): Promise<void>;
  haltSilently(): Promise<boolean>;
  resumeAfterSilentHalt(): Promise<void>;
  output(text: string): void;
  /** The symbols are rebased: on to the entry stop. */
  rebased(found: KaslrOffset): Promise<void>;
}

export async function bootWithKaslr(run: KaslrBootRun, kaslr: KaslrDetector, program: string): Promise<void> {
  await run.continue();
  void pollForKaslr(run, kaslr, program).catch((error: unknown) => run.output(`KASLR detection failed: ${errorText(error)}\n`));
}

async function pollForKaslr(run: KaslrBootRun, kaslr: KaslrDetector, program: string): Promise<void> {
  const deadline = Date.now() + KASLR_GIVE_UP_MS;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, KASLR_POLL_MS));
    if (run.isClosed() || !(await run.haltSilently())) return; // ended, or the user stopped it
    const found = await kaslr.detect().catch(() => undefined);
    if (found) {
      await kaslr.rebase(program, found.offset);
      run.output(
        `KASLR: the kernel runs 0x${found.offset.toString(16)} above vmlinux's link address; symbols and breakpoints were moved there.\n`,
      );
      return run.rebased(found);
    }
    if (Date.now() > deadline) {
      run.output(`No KASLR offset found after ${KASLR_GIVE_UP_MS / 1000} s; symbols stay at vmlinux's addresses.\n`);
      return run.resumeAfterSilentHalt();
    }
    await run.resumeAfterSilentHalt();
  }
}

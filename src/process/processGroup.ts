// Killing a child with everything it started: the child leads a process group of its own
// (spawned with `detached: true`), and a signal to the negative pid reaches the whole group.
// No /proc walk, no `ps` (what the tree-kill package runs), and no race with a fork under way.

/** Sends `signal` to the process group led by `pid`; a group that is gone already is no error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

// A session's snapshot state, kept in its Connected (connected.ts): which snapshot the VM came
// from, and the one snapshot operation in flight (QEMU runs one snapshot job at a time).
export class SnapshotState {
  busy: string | undefined;
  constructor(public origin: string | undefined) {}
}

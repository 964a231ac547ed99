// The guest architectures kernel-qemu debugs. Every layer speaks of them (QEMU's argv, the ELF
// reader, builds and root file systems, the adapter, the extension), so the word lives below
// all of them instead of in one layer that the others would have to import.
export type GuestArch = 'x86_64' | 'aarch64';

// The walkthrough's prerequisite check: what is found, what is missing, and the install command per distribution.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPrerequisites, distributionFamily } from '../../src/extension/prerequisites';

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n';
const UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n';
const FEDORA = 'NAME="Fedora Linux"\nID=fedora\n';
const TUMBLEWEED = 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n';

/** A PATH lookup that knows only `present`. */
const only =
  (...present: string[]) =>
  (name: string) =>
    present.includes(name) ? `/usr/bin/${name.split('/').pop()}` : undefined;

test('distribution families from os-release', () => {
  assert.equal(distributionFamily(DEBIAN), 'debian');
  assert.equal(distributionFamily(UBUNTU), 'debian');
  assert.equal(distributionFamily(FEDORA), 'fedora');
  assert.equal(distributionFamily(TUMBLEWEED), 'suse');
  assert.equal(distributionFamily('ID=gentoo\n'), undefined);
});

test('everything present: no install command', () => {
  const report = checkPrerequisites({}, DEBIAN, only('qemu-system-x86_64', 'qemu-system-aarch64', 'gdb-multiarch'));
  assert.deepEqual(report.missing, []);
  assert.deepEqual(
    report.found.map((entry) => entry.path),
    ['/usr/bin/qemu-system-x86_64', '/usr/bin/qemu-system-aarch64', '/usr/bin/gdb-multiarch'],
  );
  assert.equal(report.installCommand, undefined);
});

test('missing tools: the packages of this distribution, each once', () => {
  assert.equal(
    checkPrerequisites({}, UBUNTU, only('qemu-system-x86_64')).installCommand,
    'sudo apt-get install -y qemu-system-arm gdb-multiarch',
  );
  assert.equal(checkPrerequisites({}, FEDORA, only()).installCommand, 'sudo dnf install -y qemu-system-x86 qemu-system-aarch64 gdb');
  assert.equal(checkPrerequisites({}, 'ID=gentoo\n', only()).installCommand, undefined, 'no guess for an unknown distribution');
});

test('a qemuPath setting naming the QEMU binary counts for its arch; the other arch is looked up on PATH', () => {
  const report = checkPrerequisites(
    { qemuDirectory: '/opt/qemu/bin/qemu-system-x86_64' },
    DEBIAN,
    only('/opt/qemu/bin/qemu-system-x86_64', 'gdb-multiarch'),
  );
  assert.deepEqual(
    report.found.map(({ tool, path }) => [tool, path]),
    [
      ['qemu-system-x86_64', '/usr/bin/qemu-system-x86_64'],
      ['gdb', '/usr/bin/gdb-multiarch'],
    ],
  );
  assert.deepEqual(report.missing, ['qemu-system-aarch64']);
  // A wrapper of another name is the QEMU of both arches.
  assert.deepEqual(checkPrerequisites({ qemuDirectory: '/opt/my-qemu' }, DEBIAN, only('/opt/my-qemu', 'gdb-multiarch')).missing, []);
});

test('settings win: a qemuPath directory and a gdbPath are looked up there', () => {
  const report = checkPrerequisites(
    { qemuDirectory: '/opt/qemu/bin/', gdbPath: '/opt/gdb' },
    DEBIAN,
    only('/opt/qemu/bin/qemu-system-x86_64', '/opt/gdb', 'gdb-multiarch'),
  );
  assert.deepEqual(report.missing, ['qemu-system-aarch64']);
  assert.equal(report.installCommand, 'sudo apt-get install -y qemu-system-arm');
});

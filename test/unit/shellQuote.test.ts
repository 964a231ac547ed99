// The QEMU command line in the log must paste into a shell as the same argv: checked by
// giving the quoted line to a real sh (started with an argv, as everything is).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { shellCommand, shellQuote } from '../../src/qemu/shellQuote';

function shellSplit(line: string): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

test('plain words stay as they are; others are single-quoted', () => {
  assert.equal(shellQuote('-append'), '-append');
  assert.equal(shellQuote('/usr/bin/qemu-system-x86_64'), '/usr/bin/qemu-system-x86_64');
  assert.equal(shellQuote('console=ttyS0 nokaslr'), "'console=ttyS0 nokaslr'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote(''), "''");
});

test('sh reads the line back as the same argv', () => {
  const argv = [
    '/usr/bin/qemu-system-x86_64',
    '-name',
    'kernel-qemu,debug-threads=on',
    '-append',
    'console=ttyS0 nokaslr init=/bin/sh "quoted" $HOME `id` \\ ; & | * ? ~ #',
    '-kernel',
    "/tmp/my kernel's dir/bzImage",
    '',
    'tab\there\nnewline',
    'ünïcode',
  ];
  assert.deepEqual(shellSplit(shellCommand(argv)), argv);
});

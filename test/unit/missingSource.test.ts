import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MissingSourceHint } from '../../src/adapter/missingSource';

test('the first frame without its source says how to map it, once per session', () => {
  const printed: string[] = [];
  const present = new Set(['/src/linux/fs/open.c']);
  const hint = new MissingSourceHint(
    (text) => printed.push(text),
    (file) => present.has(file),
  );
  hint.check('/build/linux/fs/open.c', '/src/linux/fs/open.c');
  assert.deepEqual(printed, [], 'a mapped, present source says nothing');
  hint.check('debian/build/build_amd64_none_cloud-amd64/init/main.c', 'debian/build/build_amd64_none_cloud-amd64/init/main.c');
  hint.check('debian/build/build_amd64_none_cloud-amd64/mm/slub.c', 'debian/build/build_amd64_none_cloud-amd64/mm/slub.c');
  assert.equal(printed.length, 1);
  assert.match(printed[0]!, /^Source debian\/build\/build_amd64_none_cloud-amd64\/init\/main\.c is not on this machine/);
  assert.match(printed[0]!, /"sourceRoot"/);
  assert.match(printed[0]!, /"sourceFileMap": \{ "debian\/build\/build_amd64_none_cloud-amd64\/init": /);
});

/**
 * Names: wildcard matching and literal prefixes, path safety of object names under a destination directory,
 * Content-Type by extension.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { contentTypeFor } from '../../src/transfer/many/content-type.js';
import { DestinationTree, safeLocalPath } from '../../src/transfer/many/safe-path.js';
import { hasWildcard, literalPrefix, wildcardRegExp } from '../../src/transfer/many/wildcard.js';

describe('names', () => {
  it('wildcards: * stays in a segment, ** crosses them, ? and [sets]', () => {
    const match = (pattern: string, name: string): boolean => wildcardRegExp(pattern).test(name);
    assert.ok(match('logs/*.log', 'logs/a.log'));
    assert.ok(!match('logs/*.log', 'logs/x/a.log'));
    assert.ok(match('logs/**.log', 'logs/x/y/a.log'));
    assert.ok(match('logs/**/a.log', 'logs/a.log'));
    assert.ok(match('logs/2026-*/**.parquet', 'logs/2026-01/d/p.parquet'));
    assert.ok(!match('logs/2026-*/**.parquet', 'logs/2025-01/p.parquet'));
    assert.ok(match('f?.txt', 'f1.txt') && !match('f?.txt', 'f/.txt'));
    assert.ok(match('[ab]*.csv', 'a1.csv') && !match('[ab]*.csv', 'c1.csv') && match('[!ab]*.csv', 'c1.csv'));
    assert.ok(match('a.b(c)+$.txt', 'a.b(c)+$.txt') && !match('a.b', 'axb'));
    assert.equal(literalPrefix('logs/2026-*/x'), 'logs/2026-');
    assert.equal(literalPrefix('plain/name'), 'plain/name');
    assert.ok(hasWildcard('a/*') && !hasWildcard('a/b'));
  });

  it('object names that would leave the destination, or hide in it, are refused with the reason', () => {
    const root = '/tmp/dest';
    assert.equal(safeLocalPath(root, 'a/b/c.txt'), '/tmp/dest/a/b/c.txt');
    const cases: [string, RegExp][] = [
      ['../x', /"\.\." segment/],
      ['a/../../x', /"\.\." segment/],
      ['/etc/passwd', /starts with "\/"/],
      ['a\0b', /NUL/],
      ['a\\..\\b', /backslash/],
      ['a//b', /empty segment/],
      ['dir/', /empty segment/],
      ['./a', /"\." segment/],
      ['C:x', /drive letter/],
      ['a\u0007b', /control characters/],
    ];
    for (const [name, reason] of cases) assert.throws(() => safeLocalPath(root, name), reason, JSON.stringify(name));
  });

  it('Content-Type from the extension, octet-stream otherwise', () => {
    assert.equal(contentTypeFor('a/b.JSON'), 'application/json');
    assert.equal(contentTypeFor('x.parquet'), 'application/vnd.apache.parquet');
    assert.equal(contentTypeFor('noext'), 'application/octet-stream');
    assert.equal(contentTypeFor('weird.xyz'), 'application/octet-stream');
  });

  it('objects of one directory prepared at once share the work, and each failure names its own object', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gcs-tree-'));
    try {
      const tree = await DestinationTree.open(root);
      const names = Array.from({ length: 20 }, (_, i) => `d/e/f${i}`);
      await Promise.all(names.map((name) => tree.prepareParent(safeLocalPath(root, name), name)));
      assert.ok((await stat(join(root, 'd/e'))).isDirectory());
      // A file where a directory is needed: every object waiting on that directory fails in its own words.
      await writeFile(join(root, 'x'), 'a file');
      const blocked = ['x/y/1', 'x/y/2', 'x/y/3'];
      const outcomes = await Promise.allSettled(blocked.map((name) => tree.prepareParent(safeLocalPath(root, name), name)));
      outcomes.forEach((outcome, i) => {
        assert.equal(outcome.status, 'rejected');
        assert.match(String((outcome as PromiseRejectedResult).reason.message), new RegExp(`object "x/y/${i + 1}": a file in the destination is in the way`));
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

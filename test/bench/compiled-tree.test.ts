import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compiledTree } from '../../bench/compiled-tree.js';

test('the measured code is the sources with types stripped, cached by content', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'bench-tree-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'src'), { recursive: true });
  await mkdir(join(root, 'workers'), { recursive: true });
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  await writeFile(join(root, 'src', 'a.ts'), "import type { B } from './b.js';\nexport const a: number = 1;\nexport type A = B;\n");
  await writeFile(join(root, 'src', 'b.ts'), 'export interface B { x: string }\n');
  await writeFile(join(root, 'workers', 'boot.mjs'), 'export const boot = 1;\n');
  await writeFile(join(root, 'bench', 'results', 'latest.json'), '{}');

  const tree = await compiledTree(root);
  assert.equal(await readFile(join(tree, 'src', 'a.js'), 'utf8'), 'export const a = 1;\n');
  assert.equal(await readFile(join(tree, 'workers', 'boot.mjs'), 'utf8'), 'export const boot = 1;\n');
  assert.deepEqual(JSON.parse(await readFile(join(tree, 'package.json'), 'utf8')), { type: 'module' });
  assert.ok(!existsSync(join(tree, 'bench', 'results')), 'results are not sources');
  assert.ok(tree.startsWith(join(root, 'node_modules', '.cache')), 'bare imports must resolve from the project');

  assert.equal(await compiledTree(root), tree, 'unchanged sources reuse the tree');
  await writeFile(join(root, 'src', 'a.ts'), 'export const a: number = 2;\n');
  const changed = await compiledTree(root);
  assert.notEqual(changed, tree);
  assert.equal(await readFile(join(changed, 'src', 'a.js'), 'utf8'), 'export const a = 2;\n');
  assert.ok(existsSync(tree), 'a tree another bench may be running from is kept');
});

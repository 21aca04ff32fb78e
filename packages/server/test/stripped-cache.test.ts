/**
 * The stripped-source cache (src/task-runner/stripped-cache.ts): a task
 * process imports a TypeScript DAG file from what an earlier process stripped,
 * keyed by the file's path and text; an edited file, a CommonJS file and a file
 * with an error behave as without the cache. Each import runs in a fresh Node
 * process, as a task does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LOAD_DAG = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'task-runner', 'load-dag.ts')).href;

/** Imports `file` in a new process with the cache at `cacheDir`: the DAGs and tasks it found, or the error. */
async function importInFreshProcess(file: string, cacheDir: string) {
  const script = `
    import { importDagFile } from ${JSON.stringify(LOAD_DAG)};
    try {
      const dags = await importDagFile(${JSON.stringify(file)});
      console.log(JSON.stringify({ dags: dags.map((d) => d.dag_id), tasks: dags.flatMap((d) => d.taskIds), marker: globalThis.__marker ?? null }));
    } catch (err) {
      console.log(JSON.stringify({ error: String(err.stack) }));
    }`;
  const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, UPDRAFT_STRIPPED_CACHE: cacheDir } });
  return { ...JSON.parse(stdout.trim().split('\n').pop() ?? '{}'), stderr } as { dags?: string[]; tasks?: string[]; marker?: string | null; error?: string; stderr: string };
}

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-stripped-'));
  return { dir, dags: path.join(dir, 'dags'), cache: path.join(dir, 'cache'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const DAG_SOURCE = (taskId: string) => `import { DAG, EmptyOperator } from '@updraft/sdk';
const label: string = ${JSON.stringify(taskId)};
interface Unused { a: number }
export default new DAG({ dag_id: 'cached', schedule: null, start_date: '2024-01-01' }, () => {
  new EmptyOperator({ task_id: label });
});
`;

test('the first import strips and fills the cache; the next process imports what is cached', async () => {
  const t = tempDir();
  try {
    fs.mkdirSync(t.dags);
    const file = path.join(t.dags, 'cached.ts');
    fs.writeFileSync(file, DAG_SOURCE('first'));

    const first = await importInFreshProcess(file, t.cache);
    assert.deepEqual(first.dags, ['cached']);
    assert.deepEqual(first.tasks, ['first']);
    assert.equal(first.stderr, '', 'no ExperimentalWarning or anything else on stderr');
    const entries = fs.readdirSync(t.cache);
    assert.equal(entries.length, 1);

    const second = await importInFreshProcess(file, t.cache);
    assert.deepEqual(second.tasks, ['first']);

    // what runs is the cache entry, not the file stripped again: a marker written into the entry shows up
    const entry = path.join(t.cache, entries[0]);
    fs.appendFileSync(entry, '\nglobalThis.__marker = "from cache";\n');
    assert.equal((await importInFreshProcess(file, t.cache)).marker, 'from cache');

    // an edited file is a new entry, never the old text
    fs.writeFileSync(file, DAG_SOURCE('second'));
    const edited = await importInFreshProcess(file, t.cache);
    assert.deepEqual(edited.tasks, ['second']);
    assert.equal(edited.marker, null);
    assert.equal(fs.readdirSync(t.cache).length, 2);
  } finally {
    t.cleanup();
  }
});

test('an error in a cached DAG file points at its own line, as without the cache', async () => {
  const t = tempDir();
  try {
    fs.mkdirSync(t.dags);
    const file = path.join(t.dags, 'broken.ts');
    fs.writeFileSync(file, `import { DAG } from '@updraft/sdk';\nconst n: number = 1;\n\nthrow new Error('broken on purpose ' + n);\n`);
    for (const attempt of ['miss', 'hit']) {
      const result = await importInFreshProcess(file, t.cache);
      assert.match(result.error ?? '', /broken on purpose 1/, attempt);
      assert.match(result.error ?? '', /broken\.ts(\?t=\d+)?:4:/, `${attempt}: the stack names the file and line 4`);
    }
  } finally {
    t.cleanup();
  }
});

test('a syntax error is reported as Node reports it, and nothing is cached', async () => {
  const t = tempDir();
  try {
    fs.mkdirSync(t.dags);
    const file = path.join(t.dags, 'syntax.ts');
    fs.writeFileSync(file, `import { DAG } from '@updraft/sdk';\nconst x: number = ;\n`);
    const result = await importInFreshProcess(file, t.cache);
    assert.ok(result.error, 'the import fails');
    assert.equal(fs.existsSync(t.cache) ? fs.readdirSync(t.cache).length : 0, 0);
  } finally {
    t.cleanup();
  }
});

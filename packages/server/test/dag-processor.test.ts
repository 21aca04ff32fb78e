/**
 * The DAG processor against a real embedded PostgreSQL and real DAG files:
 * each file is imported in a child process, its DAGs stored as dag rows,
 * dag_version JSON and dag_code; problems become import_error rows; files
 * that are deleted or ignored deactivate their DAGs; file watching picks up
 * new and changed files at once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SerializedDag } from '@updraft/sdk';
import { findDagFiles } from '../src/dag-processing/find-files.ts';
import { ParserPool } from '../src/dag-processing/parse-file.ts';
import { DagProcessor } from '../src/dag-processing/processor.ts';
import { strippedCacheDir } from '../src/task-runner/stripped-cache.ts';
import { createLogger } from '../src/util/logger.ts';
import { startTestDb, type TestDb, waitFor } from './helpers.ts';

const IMPORT_TIMEOUT_S = 2;

let t: TestDb;
let dagsFolder: string;
const processors: DagProcessor[] = [];

before(async () => {
  dagsFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-dags-test-'));
  t = await startTestDb({
    UPDRAFT__CORE__DAGS_FOLDER: dagsFolder,
    UPDRAFT__CORE__DAGBAG_IMPORT_TIMEOUT: String(IMPORT_TIMEOUT_S),
    UPDRAFT__DAG_PROCESSOR__PARSING_PROCESSES: '2',
  });
});

after(async () => {
  for (const p of processors) await p.stop();
  await t?.close();
  if (dagsFolder) fs.rmSync(dagsFolder, { recursive: true, force: true });
});

/** A processor that has seen no file yet (as after a restart). */
function newProcessor(): DagProcessor {
  const p = new DagProcessor({ pool: t.db.pool, config: t.config, log: createLogger('dag-processor-test', 'silent') });
  processors.push(p);
  return p;
}

/** An empty dags folder and a new processor. */
function freshProcessor(): DagProcessor {
  for (const entry of fs.readdirSync(dagsFolder)) fs.rmSync(path.join(dagsFolder, entry), { recursive: true, force: true });
  return newProcessor();
}

function write(rel: string, source: string): string {
  const file = path.join(dagsFolder, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, source);
  return file;
}

/** A DAG file with a chain of EmptyOperators. */
function dagSource(dagId: string, taskIds: string[] = ['only'], options = ''): string {
  return `import { DAG, EmptyOperator, chain } from '@updraft/sdk';
export default new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2024-01-01'${options} }, () => {
  chain(...${JSON.stringify(taskIds)}.map((task_id) => new EmptyOperator({ task_id })));
});
`;
}

interface DagRowLite {
  is_active: boolean;
  is_paused: boolean;
  fileloc: string;
  relative_fileloc: string;
  latest_version_id: string | null;
}

async function dagRow(dagId: string): Promise<DagRowLite | undefined> {
  const r = await t.db.pool.query<DagRowLite>('SELECT is_active, is_paused, fileloc, relative_fileloc, latest_version_id FROM dag WHERE dag_id = $1', [dagId]);
  return r.rows[0];
}

async function isActive(dagId: string): Promise<boolean | undefined> {
  return (await dagRow(dagId))?.is_active;
}

async function versions(dagId: string): Promise<{ id: string; version_number: number; data: SerializedDag }[]> {
  const r = await t.db.pool.query('SELECT id, version_number, data FROM dag_version WHERE dag_id = $1 ORDER BY version_number', [dagId]);
  return r.rows;
}

async function importError(file: string): Promise<{ message: string; stacktrace: string } | undefined> {
  const r = await t.db.pool.query<{ message: string; stacktrace: string }>('SELECT message, stacktrace FROM import_error WHERE filename = $1', [file]);
  return r.rows[0];
}

async function dagCode(file: string): Promise<string | undefined> {
  const r = await t.db.pool.query<{ source: string }>('SELECT source FROM dag_code WHERE fileloc = $1', [file]);
  return r.rows[0]?.source;
}

/** Processes still running with `needle` on their command line (Linux /proc). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('storing DAGs', () => {
  test('a valid file is stored; unchanged it adds no version, changed it adds version 2', async () => {
    const p = freshProcessor();
    const source = dagSource('stored_dag', ['extract', 'load'], ", tags: ['etl'], description: 'first'");
    const file = write('stored.ts', source);
    await p.processAll();
    // the parse kept the file stripped of its types, for task processes to load as is
    const cache = strippedCacheDir(t.config.home);
    assert.ok(fs.readdirSync(cache).some((entry) => fs.readFileSync(path.join(cache, entry), 'utf8').includes("'stored_dag'")), 'a stripped copy in the cache');

    const row = await dagRow('stored_dag');
    assert.ok(row, 'dag row');
    assert.equal(row.is_active, true);
    assert.equal(row.is_paused, true, 'new DAGs are paused by default');
    assert.equal(row.fileloc, file);
    assert.equal(row.relative_fileloc, 'stored.ts');
    let v = await versions('stored_dag');
    assert.equal(v.length, 1);
    assert.equal(v[0].version_number, 1);
    assert.equal(String(row.latest_version_id), String(v[0].id));
    assert.equal(v[0].data.dag_id, 'stored_dag');
    assert.equal(v[0].data.fileloc, file);
    assert.equal(v[0].data.description, 'first');
    assert.deepEqual(v[0].data.tags, ['etl']);
    assert.deepEqual(
      v[0].data.tasks.map((task) => [task.task_id, task.operator, task.upstream_task_ids]),
      [
        ['extract', 'EmptyOperator', []],
        ['load', 'EmptyOperator', ['extract']],
      ],
    );
    assert.equal(await dagCode(file), source);
    assert.equal(await importError(file), undefined);

    // the same processor skips an unchanged file without parsing it
    assert.equal(await p.processFile(file), false);
    await p.processAll();
    // a new processor (a restart) parses it again, but the same serialized DAG adds no version
    const restarted = newProcessor();
    assert.equal(await restarted.processFile(file), true);
    assert.equal((await versions('stored_dag')).length, 1);

    // a comment changes the code but not the DAG: dag_code follows, no new version
    const commented = `// a comment\n${source}`;
    fs.writeFileSync(file, commented);
    assert.equal(await p.processFile(file), true);
    assert.equal(await dagCode(file), commented);
    assert.equal((await versions('stored_dag')).length, 1);

    // a real change adds version 2, which becomes the latest; version 1 is kept
    const changed = dagSource('stored_dag', ['extract', 'transform', 'load'], ", tags: ['etl'], description: 'second'");
    fs.writeFileSync(file, changed);
    await p.processAll();
    v = await versions('stored_dag');
    assert.deepEqual(
      v.map((x) => x.version_number),
      [1, 2],
    );
    assert.deepEqual(
      v[1].data.tasks.map((task) => task.task_id),
      ['extract', 'transform', 'load'],
    );
    assert.equal(v[1].data.description, 'second');
    assert.equal(v[0].data.description, 'first');
    assert.equal(String((await dagRow('stored_dag'))?.latest_version_id), String(v[1].id));
    assert.equal(await dagCode(file), changed);
  });

  test('files in subfolders and files with several DAGs; a DAG removed from its file becomes inactive', async () => {
    const p = freshProcessor();
    const file = write(
      'team/two.ts',
      `import { DAG, EmptyOperator } from '@updraft/sdk';
new DAG({ dag_id: 'two_first', schedule: '@daily', start_date: '2024-01-01' }, () => { new EmptyOperator({ task_id: 't' }); });
new DAG({ dag_id: 'two_second', schedule: null }, () => { new EmptyOperator({ task_id: 't' }); });
`,
    );
    // a helper module that does not mention DAGs is not imported (it would throw if it were)
    const helper = write('team/helper.ts', "export const x = 1;\nthrow new Error('helper module was imported');\n");
    await p.processAll();
    assert.equal(await isActive('two_first'), true);
    assert.equal(await isActive('two_second'), true);
    assert.equal((await dagRow('two_first'))?.relative_fileloc, path.join('team', 'two.ts'));
    assert.equal(await importError(helper), undefined);

    fs.writeFileSync(
      file,
      `import { DAG, EmptyOperator } from '@updraft/sdk';
new DAG({ dag_id: 'two_first', schedule: '@daily', start_date: '2024-01-01' }, () => { new EmptyOperator({ task_id: 't' }); });
`,
    );
    await p.processAll();
    assert.equal(await isActive('two_first'), true);
    assert.equal(await isActive('two_second'), false);
  });
});

describe('import errors', () => {
  const broken: { name: string; dagId: string; source: string; message: (file: string) => RegExp[]; stack?: (file: string) => RegExp[] }[] = [
    {
      name: 'a cycle',
      dagId: 'err_cycle',
      source: `import { DAG, EmptyOperator } from '@updraft/sdk';
export default new DAG({ dag_id: 'err_cycle', schedule: null }, () => {
  const a = new EmptyOperator({ task_id: 'a' });
  const b = new EmptyOperator({ task_id: 'b' });
  a.then(b);
  b.then(a);
});
`,
      message: (file) => [new RegExp(`^${escapeRegExp(file)}: DAG 'err_cycle': `), /cycle detected: (a -> b -> a|b -> a -> b)/],
    },
    {
      name: 'a duplicate task_id',
      dagId: 'err_duplicate',
      source: `import { DAG, EmptyOperator } from '@updraft/sdk';
export default new DAG({ dag_id: 'err_duplicate', schedule: null }, () => {
  new EmptyOperator({ task_id: 'same' });
  new EmptyOperator({ task_id: 'same' });
});
`,
      message: (file) => [new RegExp(`^${escapeRegExp(file)}: DAG 'err_duplicate': `), /duplicate task_id 'same'/],
    },
    {
      name: 'an invalid cron expression',
      dagId: 'err_cron',
      source: dagSource('err_cron', ['t'], ", schedule: '61 * * * *'").replace("schedule: null, ", ''),
      message: (file) => [new RegExp(`^${escapeRegExp(file)}: DAG 'err_cron': `), /invalid schedule '61 \* \* \* \*'/, /minute/i],
    },
    {
      name: 'a syntax error',
      dagId: 'err_syntax',
      source: `import { DAG, EmptyOperator } from '@updraft/sdk';
export default new DAG({ dag_id: 'err_syntax', schedule: null }, () => {
  new EmptyOperator({ task_id: 't' }));
});
`,
      message: () => [/Expected|Unexpected/],
      stack: (file) => [new RegExp(escapeRegExp(file)), /SyntaxError/],
    },
    {
      name: 'an exception at import',
      dagId: 'err_throw',
      source: `import { DAG, EmptyOperator } from '@updraft/sdk';
export default new DAG({ dag_id: 'err_throw', schedule: null }, () => { new EmptyOperator({ task_id: 't' }); });
const config = JSON.parse('{"table": ');
export { config };
`,
      message: () => [/JSON/],
      stack: (file) => [new RegExp(escapeRegExp(file)), /SyntaxError/],
    },
    {
      name: 'a process.exit() at import',
      dagId: 'err_exit',
      source: `import { DAG, EmptyOperator } from '@updraft/sdk';
export default new DAG({ dag_id: 'err_exit', schedule: null }, () => { new EmptyOperator({ task_id: 't' }); });
process.exit(3);
`,
      message: (file) => [new RegExp(escapeRegExp(file)), /exited with code 3/],
    },
  ];

  test('each problem is recorded with the file, the DAG and the problem; the DAG becomes inactive; fixing the file clears the error', async () => {
    const p = freshProcessor();
    // first every file is fine and its DAG active
    const files = Object.fromEntries(broken.map((b) => [b.dagId, write(`${b.dagId}.ts`, dagSource(b.dagId))]));
    await p.processAll();
    for (const b of broken) assert.equal(await isActive(b.dagId), true, b.dagId);

    for (const b of broken) write(`${b.dagId}.ts`, b.source);
    await p.processAll();
    for (const b of broken) {
      const file = files[b.dagId];
      const error = await importError(file);
      assert.ok(error, `${b.name}: no import_error row for ${file}`);
      for (const re of b.message(file)) assert.match(error.message, re, b.name);
      for (const re of b.stack?.(file) ?? []) assert.match(error.stacktrace, re, b.name);
      assert.equal(await isActive(b.dagId), false, `${b.name}: the DAG is still active`);
      assert.equal((await versions(b.dagId)).length, 1, `${b.name}: a broken file added a version`);
    }

    for (const b of broken) write(`${b.dagId}.ts`, dagSource(b.dagId, ['fixed']));
    await p.processAll();
    for (const b of broken) {
      assert.equal(await importError(files[b.dagId]), undefined, `${b.name}: import error not cleared`);
      assert.equal(await isActive(b.dagId), true, b.name);
      assert.deepEqual(
        (await versions(b.dagId)).at(-1)?.data.tasks.map((task) => task.task_id),
        ['fixed'],
      );
    }
  });

  test('a DAG that never parsed is not stored at all', async () => {
    const p = freshProcessor();
    const file = write('never.ts', broken[0].source.replaceAll('err_cycle', 'never_parsed'));
    await p.processAll();
    assert.match((await importError(file))?.message ?? '', /DAG 'never_parsed': cycle detected/);
    assert.equal(await dagRow('never_parsed'), undefined);
  });

  test('files that hang time out; good files of the same pass are stored without waiting for them', async () => {
    const p = freshProcessor();
    // sorted first, so a worker is busy with it from the start
    const loop = write(
      'a_loop.ts',
      `import { DAG } from '@updraft/sdk';
while (true) {}
export default new DAG({ dag_id: 'hang_loop' });
`,
    );
    write('b_good.ts', dagSource('hang_good_b'));
    write('c_good.ts', dagSource('hang_good_c'));
    // sorted last: the free worker reaches it after the good files
    const awaiting = write(
      'z_await_forever.ts',
      `import { DAG, EmptyOperator } from '@updraft/sdk';
setInterval(() => {}, 1000);
await new Promise(() => {});
export default new DAG({ dag_id: 'hang_await' }, () => { new EmptyOperator({ task_id: 't' }); });
`,
    );

    const started = Date.now();
    let finished = false;
    const pass = p.processAll().then(() => {
      finished = true;
    });
    await waitFor(async () => (await isActive('hang_good_b')) === true && (await isActive('hang_good_c')) === true, IMPORT_TIMEOUT_S * 1000, 'the good files to be stored');
    const goodAfter = Date.now() - started;
    assert.ok(goodAfter < IMPORT_TIMEOUT_S * 1000, `good files took ${goodAfter} ms`);
    assert.equal(finished, false, 'the pass ended before the hanging files timed out');

    await pass;
    const total = Date.now() - started;
    // the two hanging files were parsed side by side, each killed after the timeout
    assert.ok(total >= IMPORT_TIMEOUT_S * 1000 - 50, `the pass ended after ${total} ms, before the timeout`);
    assert.ok(total < IMPORT_TIMEOUT_S * 2000, `the pass took ${total} ms`);
    for (const [file, dagId] of [
      [loop, 'hang_loop'],
      [awaiting, 'hang_await'],
    ]) {
      const error = await importError(file);
      assert.ok(error, `no import error for ${file}`);
      assert.match(error.message, /import timeout/i);
      assert.match(error.message, new RegExp(escapeRegExp(file)));
      assert.match(error.message, new RegExp(`after ${IMPORT_TIMEOUT_S}s`));
      assert.equal(await dagRow(dagId), undefined);
      // the parsing process was killed, not left behind
      await waitFor(() => processesMentioning(file).length === 0, 2000, `the parse process of ${file} to be killed`);
    }
  });
});

describe('deleted and ignored files', () => {
  test("a deleted file's DAGs become inactive, and its import error goes away", async () => {
    const p = freshProcessor();
    const gone = write('gone.ts', dagSource('deleted_dag'));
    write('stays.ts', dagSource('staying_dag'));
    const broken = write('broken.ts', "import '@updraft/sdk';\nthrow new Error('DAG file broken');\n");
    await p.processAll();
    assert.equal(await isActive('deleted_dag'), true);
    assert.ok(await importError(broken));

    fs.rmSync(gone);
    fs.rmSync(broken);
    await p.processAll();
    assert.equal(await isActive('deleted_dag'), false);
    assert.equal(await isActive('staying_dag'), true);
    assert.equal(await importError(broken), undefined);
    // its versions are kept (past runs refer to them)
    assert.equal((await versions('deleted_dag')).length, 1);

    // the file coming back makes the DAG active again, without a new version
    write('gone.ts', dagSource('deleted_dag'));
    await p.processAll();
    assert.equal(await isActive('deleted_dag'), true);
    assert.equal((await versions('deleted_dag')).length, 1);
  });

  test('.airflowignore (glob syntax) excludes files and folders, at its level and below', async () => {
    const p = freshProcessor();
    write('.airflowignore', ['# generated files', '*_skip.ts', 'ignored_dir/', ''].join('\n'));
    write('kept.ts', dagSource('ign_kept'));
    write('foo_skip.ts', dagSource('ign_skip'));
    write('nested/bar_skip.ts', dagSource('ign_nested_skip'));
    write('ignored_dir/inner.ts', dagSource('ign_inner'));
    write('ignored_dir/deeper/inner2.ts', dagSource('ign_inner2'));
    write('sub/.airflowignore', 'local.ts\n');
    write('sub/local.ts', dagSource('ign_sub_local'));
    write('sub/other.ts', dagSource('ign_sub_other'));
    // the sub folder's rules do not apply to the folder above it
    write('local.ts', dagSource('ign_root_local'));
    // never DAG files: declarations, dot-folders, node_modules, other extensions
    write('types.d.ts', dagSource('ign_dts'));
    write('.hidden/h.ts', dagSource('ign_hidden'));
    write('node_modules/pkg/index.ts', dagSource('ign_node_modules'));
    write('notes.py', dagSource('ign_py'));

    assert.deepEqual(
      findDagFiles(dagsFolder).map((f) => path.relative(dagsFolder, f)),
      ['kept.ts', 'local.ts', path.join('sub', 'other.ts')],
    );
    await p.processAll();
    assert.equal(await isActive('ign_kept'), true);
    assert.equal(await isActive('ign_root_local'), true);
    assert.equal(await isActive('ign_sub_other'), true);
    for (const id of ['ign_skip', 'ign_nested_skip', 'ign_inner', 'ign_inner2', 'ign_sub_local', 'ign_dts', 'ign_hidden', 'ign_node_modules', 'ign_py']) {
      assert.equal(await dagRow(id), undefined, `${id} was stored`);
    }

    // a file ignored after it was stored: its DAG becomes inactive
    write('.airflowignore', ['*_skip.ts', 'ignored_dir/', 'kept.ts'].join('\n'));
    await p.processAll();
    assert.equal(await isActive('ign_kept'), false);
    assert.equal(await isActive('ign_root_local'), true);
  });
});

describe('file watching', () => {
  test('with start(), a new file is stored and a changed file re-parsed within 2 s', async () => {
    const p = freshProcessor();
    write('.airflowignore', '*_skip.ts\n');
    await p.start();
    const job = await t.db.pool.query("SELECT state FROM job WHERE job_type = 'DagProcessorJob' ORDER BY id DESC LIMIT 1");
    assert.equal(job.rows[0]?.state, 'running');

    const file = write('watched.ts', dagSource('watched_dag', ['one']));
    await waitFor(async () => (await isActive('watched_dag')) === true, 2000, 'a new file to be stored');

    fs.writeFileSync(file, dagSource('watched_dag', ['one', 'two']));
    await waitFor(async () => (await versions('watched_dag')).length === 2, 2000, 'a changed file to be re-parsed');
    assert.deepEqual(
      (await versions('watched_dag'))[1].data.tasks.map((task) => task.task_id),
      ['one', 'two'],
    );

    // a file in a new subfolder
    write('later/deep.ts', dagSource('watched_deep'));
    await waitFor(async () => (await isActive('watched_deep')) === true, 2000, 'a file in a new folder to be stored');

    // a broken edit becomes an import error, and the DAG inactive
    fs.writeFileSync(file, "import '@updraft/sdk';\nthrow new Error('half-written DAG');\n");
    await waitFor(async () => (await importError(file)) !== undefined, 2000, 'the import error');
    assert.equal(await isActive('watched_dag'), false);

    // deletion is noticed too
    fs.rmSync(file);
    await waitFor(async () => (await importError(file)) === undefined, 2000, 'the import error of a deleted file to go');

    // an ignored file written while watching is not parsed
    write('watch_skip.ts', dagSource('watched_ignored'));
    write('trigger.ts', dagSource('watched_after_ignored'));
    await waitFor(async () => (await isActive('watched_after_ignored')) === true, 2000, 'a file written after the ignored one');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await dagRow('watched_ignored'), undefined, 'a file matched by .airflowignore was parsed');

    // editing .airflowignore applies at once: a file it now excludes has its DAG deactivated
    write('.airflowignore', '# not DAG files\n*_skip.ts\ntrigger.ts\n');
    await waitFor(async () => (await isActive('watched_after_ignored')) === false, 2000, 'a newly ignored file to be deactivated');
    const ignoreErrors = await t.db.pool.query("SELECT filename FROM import_error WHERE filename LIKE '%.airflowignore'");
    assert.deepEqual(ignoreErrors.rows, [], '.airflowignore was parsed as a DAG file');

    await p.stop();
    const ended = await t.db.pool.query("SELECT state FROM job WHERE job_type = 'DagProcessorJob' ORDER BY id DESC LIMIT 1");
    assert.equal(ended.rows[0]?.state, 'success');
    // stopped: changes are no longer seen
    write('after_stop.ts', dagSource('after_stop'));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await dagRow('after_stop'), undefined);
  });
});

/** Parsing processes forked by this test process (their ppid is ours), from /proc. */
function parsingChildren(): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /parse-(entry|worker)/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('idle parsing processes', () => {
  // the processors of earlier tests keep their parsing processes for the default 30 s: counted below otherwise
  before(async () => {
    for (const p of processors.splice(0)) await p.stop();
    await waitFor(() => parsingChildren().length === 0, 3000, "the earlier tests' parsing processes to stop");
  });

  test('a pool stops its processes after idleSeconds without a file, and starts one again for the next file; 0 keeps them', async () => {
    for (const entry of fs.readdirSync(dagsFolder)) fs.rmSync(path.join(dagsFolder, entry), { recursive: true, force: true });
    const file = write('pooled.ts', dagSource('pooled_dag'));
    const quick = new ParserPool({ size: 2, timeoutSeconds: IMPORT_TIMEOUT_S, idleSeconds: 1 });
    const keeping = new ParserPool({ size: 2, timeoutSeconds: IMPORT_TIMEOUT_S, idleSeconds: 0 });
    try {
      for (const pool of [keeping, quick]) assert.equal((await pool.parse(file)).ok, true);
      assert.equal(quick.processes, 1);
      assert.equal(keeping.processes, 1);
      assert.equal(parsingChildren().length, 2);
      await waitFor(() => quick.processes === 0, 3000, 'the idle pool to stop its process');
      await waitFor(() => parsingChildren().length === 1, 3000, "only the keeping pool's process to be left");

      // parsing again starts a process; a parse that keeps coming back keeps it up
      const result = await quick.parse(file);
      assert.equal(result.ok, true);
      assert.equal(quick.processes, 1);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 400));
        assert.equal((await quick.parse(file)).ok, true);
        assert.equal(quick.processes, 1, 'the process stayed up while files kept coming');
      }
      await waitFor(() => quick.processes === 0, 3000, 'the idle pool to stop its process again');
      assert.equal(keeping.processes, 1, 'idleSeconds 0: the process is kept');

      // warm() starts one ahead of a parse, and it stops too when no parse comes
      quick.warm();
      assert.equal(quick.processes, 1);
      await waitFor(() => quick.processes === 0, 3000, 'a warmed process nobody used to stop');
    } finally {
      quick.close();
      keeping.close();
    }
  });

  test('with start(), the processes stop after [dag_processor] parser_idle_timeout, and a changed file is still picked up quickly', async (ctx) => {
    for (const entry of fs.readdirSync(dagsFolder)) fs.rmSync(path.join(dagsFolder, entry), { recursive: true, force: true });
    const p = new DagProcessor({ pool: t.db.pool, config: t.config.with({ 'dag_processor.parser_idle_timeout': 0.5 }), log: createLogger('dag-processor-test', 'silent') });
    processors.push(p);
    const file = write('idle.ts', dagSource('idle_dag', ['one']));
    await p.start();
    assert.equal(await isActive('idle_dag'), true);
    assert.ok(parsingChildren().length > 0, 'the first pass used parsing processes');
    await waitFor(() => parsingChildren().length === 0, 3000, 'the idle parsing processes to stop');

    const changedAt = Date.now();
    fs.writeFileSync(file, dagSource('idle_dag', ['one', 'two']));
    await waitFor(async () => (await versions('idle_dag')).length === 2, 5000, 'the changed file to be parsed by a new process');
    const pickupMs = Date.now() - changedAt;
    ctx.diagnostic(`changed file picked up ${pickupMs} ms after the write, the parsing processes having stopped`);
    assert.equal(parsingChildren().length, 1, 'one file changed: one process started');
    await waitFor(() => parsingChildren().length === 0, 3000, 'the new process to stop when idle again');
    await p.stop();
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

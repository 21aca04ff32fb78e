/**
 * Marking, run states, notes and run deletion from the CLI, both on the local
 * installation and through the REST API (--api-url), against a real
 * standalone; refused input changes nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStandalone, type TestStandalone, tiStates } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
let s: TestStandalone;
let runId: string;

// asynchronous: the api-server the remote commands call runs in this very process
function updraft(args: string[], remote: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, UPDRAFT_HOME: s.config.home, ...(remote ? { UPDRAFT_API_URL: s.url, UPDRAFT_API_TOKEN: s.token } : { UPDRAFT_API_URL: '' }) };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  s = await startStandalone();
  s.writeDag(
    'ops.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     new DAG({ dag_id: 'ops', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'a', bash_command: 'exit 1' }).then(new BashOperator({ task_id: 'b', bash_command: 'true' }));
     });`,
  );
  await s.waitForDag('ops');
  runId = await s.trigger('ops');
  assert.equal(await s.waitForRun('ops', runId, 30_000), 'failed');
});

after(async () => {
  await s?.close();
});

describe('run and task instance operations from the CLI', () => {
  for (const remote of [false, true]) {
    const where = remote ? 'through the REST API' : 'locally';
    test(`mark (dry run first), notes and run state, ${where}`, async () => {
      const dry = await updraft(['tasks', 'mark', 'ops', runId, 'a', 'success', '--downstream', '--dry-run', '-o', 'json'], remote);
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(JSON.parse(dry.stdout).map((t: { task_id: string }) => t.task_id).sort(), ['a', 'b']);
      assert.deepEqual(await tiStates(s.db, 'ops', runId), { a: 'failed', b: 'upstream_failed' }, 'a dry run changes nothing');

      const marked = await updraft(['tasks', 'mark', 'ops', runId, 'a', 'success', '--downstream'], remote);
      assert.equal(marked.code, 0, marked.stderr);
      assert.deepEqual(await tiStates(s.db, 'ops', runId), { a: 'success', b: 'success' });

      assert.equal((await updraft(['tasks', 'note', 'ops', runId, 'a', `fixed by hand ${where}`], remote)).code, 0);
      const ti = await s.db.pool.query("SELECT note FROM task_instance WHERE dag_id = 'ops' AND run_id = $1 AND task_id = 'a'", [runId]);
      assert.equal(ti.rows[0].note, `fixed by hand ${where}`);

      assert.equal((await updraft(['dags', 'note', 'ops', runId, `checked ${where}`], remote)).code, 0);
      assert.equal((await updraft(['dags', 'set-run-state', 'ops', runId, 'failed'], remote)).code, 0);
      const run = await s.db.pool.query("SELECT state, note FROM dag_run WHERE dag_id = 'ops' AND run_id = $1", [runId]);
      assert.deepEqual(run.rows[0], { state: 'failed', note: `checked ${where}` });
      // back to where the next loop starts
      assert.equal((await updraft(['tasks', 'mark', 'ops', runId, 'a', 'failed'], remote)).code, 0);
      await s.db.pool.query("UPDATE task_instance SET state = 'upstream_failed' WHERE dag_id = 'ops' AND run_id = $1 AND task_id = 'b'", [runId]);
    });

    test(`bad input is refused with a message and changes nothing, ${where}`, async () => {
      const before = await tiStates(s.db, 'ops', runId);
      const badState = await updraft(['tasks', 'mark', 'ops', runId, 'a', 'running'], remote);
      assert.equal(badState.code, 1);
      assert.match(badState.stderr, /state must be one of success, failed, skipped/);
      const noRun = await updraft(['dags', 'set-run-state', 'ops', 'no_such_run', 'success'], remote);
      assert.equal(noRun.code, 1);
      assert.match(noRun.stderr, /no_such_run/);
      assert.deepEqual(await tiStates(s.db, 'ops', runId), before);
    });
  }

  test('delete-run removes the run', async () => {
    const other = await s.trigger('ops');
    await s.waitForRun('ops', other, 30_000);
    const r = await updraft(['dags', 'delete-run', 'ops', other], false);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await s.db.pool.query("SELECT 1 FROM dag_run WHERE dag_id = 'ops' AND run_id = $1", [other])).rowCount, 0);
    assert.equal((await updraft(['dags', 'delete-run', 'ops', other], false)).code, 1);
  });
});

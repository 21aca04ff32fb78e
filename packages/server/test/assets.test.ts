/**
 * Assets end to end with Airflow's example_assets: a producer's success
 * records asset events for its outlets, and asset-scheduled DAGs run when
 * their condition holds (one asset, all of a list, & and |), once per batch
 * of updates.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXAMPLES_FOLDER } from '../src/dag-processing/processor.ts';
import { startStandalone, type TestStandalone, waitFor } from './helpers.ts';

let s: TestStandalone;

const CONSUMERS = [
  'asset_consumes_1',
  'asset_consumes_1_and_2',
  'asset_consumes_1_never_scheduled',
  'asset_consumes_unknown_never_scheduled',
  'consume_1_and_2_with_asset_expressions',
  'consume_1_or_2_with_asset_expressions',
  'consume_1_or_both_2_and_3_with_asset_expressions',
];

async function runsOf(dagId: string) {
  const r = await s.db.pool.query<{ run_id: string; run_type: string; state: string; logical_date: Date | null }>(
    'SELECT run_id, run_type, state, logical_date FROM dag_run WHERE dag_id = $1 ORDER BY id',
    [dagId],
  );
  return r.rows;
}

before(async () => {
  s = await startStandalone({ UPDRAFT__CORE__DAGS_ARE_PAUSED_AT_CREATION: 'false' });
  fs.copyFileSync(path.join(EXAMPLES_FOLDER, 'example_assets.ts'), path.join(s.dagsFolder, 'example_assets.ts'));
  for (const id of ['asset_produces_1', 'asset_produces_2', ...CONSUMERS]) await s.waitForDag(id);
  // the daily producer would catch up by itself: keep it manual here
  await s.api('PATCH', '/api/v2/dags/asset_produces_1', { is_paused: true });
});

after(async () => {
  await s?.close();
});

describe('assets', () => {
  test('the DAG processor records assets and who schedules on or updates them', async () => {
    const assets = await s.db.pool.query('SELECT uri FROM asset ORDER BY uri');
    assert.ok(assets.rows.some((a) => a.uri === 's3://dag1/output_1.txt'));
    const refs = await s.db.pool.query(
      "SELECT r.dag_id FROM dag_schedule_asset_reference r JOIN asset a ON a.id = r.asset_id WHERE a.uri = 's3://dag1/output_1.txt' ORDER BY r.dag_id",
    );
    assert.deepEqual(refs.rows.map((r) => r.dag_id), [
      'asset_consumes_1', 'asset_consumes_1_and_2', 'asset_consumes_1_never_scheduled',
      'consume_1_and_2_with_asset_expressions', 'consume_1_or_2_with_asset_expressions', 'consume_1_or_both_2_and_3_with_asset_expressions',
    ]);
    const dag = await s.api('GET', '/api/v2/dags/asset_consumes_1');
    assert.equal(dag.body.timetable_description, 'When its assets are updated');
  });

  test('producers trigger the consumers whose condition holds', async () => {
    const two = await s.trigger('asset_produces_2');
    assert.equal(await s.waitForRun('asset_produces_2', two, 30_000), 'success');
    // dag2 alone satisfies only "1 or 2"
    await waitFor(async () => (await runsOf('consume_1_or_2_with_asset_expressions')).length === 1, 20_000, 'the | consumer to run');
    const one = await s.trigger('asset_produces_1');
    assert.equal(await s.waitForRun('asset_produces_1', one, 30_000), 'success');
    const expectRuns: Record<string, number> = {
      asset_consumes_1: 1,
      asset_consumes_1_and_2: 1, // dag2's update was still queued
      consume_1_and_2_with_asset_expressions: 1,
      consume_1_or_2_with_asset_expressions: 2,
      consume_1_or_both_2_and_3_with_asset_expressions: 1,
    };
    for (const [dagId, n] of Object.entries(expectRuns)) {
      await waitFor(async () => (await runsOf(dagId)).length === n && (await runsOf(dagId)).every((r) => r.state === 'success'), 30_000, `${dagId}: ${n} successful run(s)`);
    }
    for (const dagId of ['asset_consumes_1_never_scheduled', 'asset_consumes_unknown_never_scheduled']) assert.deepEqual(await runsOf(dagId), [], dagId);
    const run = (await runsOf('asset_consumes_1'))[0];
    assert.equal(run.run_type, 'asset_triggered');
    assert.equal(run.logical_date, null, 'asset-triggered runs have no logical date (Airflow 3)');
    const events = await s.db.pool.query(
      "SELECT e.source_dag_id, e.source_task_id FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = 's3://dag1/output_1.txt'",
    );
    assert.deepEqual(events.rows, [{ source_dag_id: 'asset_produces_1', source_task_id: 'producing_task_1' }]);
    const consumed = await s.db.pool.query(
      "SELECT count(*)::int AS n FROM dag_run_asset_event x JOIN dag_run r ON r.id = x.dag_run_id WHERE r.dag_id = 'asset_consumes_1_and_2'",
    );
    assert.equal(consumed.rows[0].n, 2, 'the run records the two events it consumed');
    // the consumers' own outlets were recorded too
    const downstream = await s.db.pool.query("SELECT count(*)::int AS n FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = 's3://consuming_1_task/asset_other.txt'");
    assert.equal(downstream.rows[0].n, 1);
  });
});

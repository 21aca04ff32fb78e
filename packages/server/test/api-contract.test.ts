/**
 * Contract tests: every implemented public operation is called against a
 * running standalone and every answer (successes and errors) is validated
 * against Airflow's OpenAPI document by `ContractClient`. The last test
 * prints which operations were exercised.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Contract, ContractClient, specOperations } from './api-contract.ts';
import { startStandalone, type TestStandalone } from './helpers.ts';

let s: TestStandalone;
let api: ContractClient;
let contract: Contract;
let runId: string;
let failedRunId: string;

before(async () => {
  contract = await Contract.load();
  s = await startStandalone({ UPDRAFT__API__EXPOSE_CONFIG: 'true', UPDRAFT__CORE__TEST_CONNECTION: 'Enabled' });
  api = new ContractClient(contract, s.url, s.token);
  s.writeDag(
    'contract.ts',
    `import { DAG, BashOperator, task } from '@updraft/sdk';
     export default new DAG({ dag_id: 'contract', schedule: null, start_date: '2024-01-01', tags: ['alpha', 'beta'], description: 'for the contract' }, () => {
       const produce = task(function produce() { console.log('producing'); return { n: 41 }; });
       produce().then(new BashOperator({ task_id: 'echo', bash_command: 'echo hello' }));
     });`,
  );
  s.writeDag(
    'contract_fail.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'contract_fail', schedule: '@daily', start_date: '2024-01-01', catchup: false }, () => {
       new BashOperator({ task_id: 'boom', bash_command: 'exit 3' });
     });`,
  );
  s.writeDag('broken.ts', "import { DAG } from '@updraft/sdk';\nexport default new DAG({ dag_id: 'broken' }, () => { throw new Error('broken on purpose'); });");
  await s.waitForDag('contract');
  await s.waitForDag('contract_fail');
  runId = await s.trigger('contract', { logical_date: '2024-05-01T00:00:00Z', conf: { a: 1 }, note: 'first' });
  failedRunId = await s.trigger('contract_fail');
  assert.equal(await s.waitForRun('contract', runId), 'success');
  assert.equal(await s.waitForRun('contract_fail', failedRunId), 'failed');
});
after(async () => {
  await s?.close();
});

const run = () => `/api/v2/dags/contract/dagRuns/${encodeURIComponent(runId)}`;

test('monitor, version and auth answers follow the contract', async () => {
  const health = await api.expect(200, 'GET', '/api/v2/monitor/health');
  assert.equal(health.metadatabase.status, 'healthy');
  assert.match((await api.expect(200, 'GET', '/api/v2/version')).version, /\d+\.\d+/);
  const anonymous = api.withToken(null);
  await anonymous.expect(401, 'GET', '/api/v2/dags');
  await api.withToken('not.a.jwt').call('GET', '/api/v2/dags').then((r) => assert.equal(r.status, 401));
});

test('dags: list with filters and ordering, get, details, patch, tasks', async () => {
  const all = await api.expect(200, 'GET', '/api/v2/dags');
  assert.deepEqual(all.dags.map((d: { dag_id: string }) => d.dag_id), ['contract', 'contract_fail']);
  assert.equal(all.total_entries, 2);
  const tagged = await api.expect(200, 'GET', '/api/v2/dags?tags=alpha&order_by=-dag_id&limit=1');
  assert.deepEqual(tagged.dags.map((d: { dag_id: string }) => d.dag_id), ['contract']);
  assert.deepEqual((await api.expect(200, 'GET', '/api/v2/dags?dag_id_pattern=fail')).dags.map((d: { dag_id: string }) => d.dag_id), ['contract_fail']);
  assert.equal((await api.expect(200, 'GET', '/api/v2/dags?paused=true')).total_entries, 2, 'new DAGs start paused');
  assert.equal((await api.expect(200, 'GET', '/api/v2/dags?paused=false')).total_entries, 0);
  await api.expect(422, 'GET', '/api/v2/dags?order_by=nonsense');
  const dag = await api.expect(200, 'GET', '/api/v2/dags/contract');
  assert.deepEqual(dag.tags.map((t: { name: string }) => t.name), ['alpha', 'beta']);
  await api.expect(404, 'GET', '/api/v2/dags/missing');
  const details = await api.expect(200, 'GET', '/api/v2/dags/contract/details');
  assert.equal(details.dag_id, 'contract');
  const paused = await api.expect(200, 'PATCH', '/api/v2/dags/contract', { is_paused: true });
  assert.equal(paused.is_paused, true);
  await api.expect(200, 'PATCH', '/api/v2/dags/contract', { is_paused: false });
  const tasks = await api.expect(200, 'GET', '/api/v2/dags/contract/tasks');
  assert.deepEqual(tasks.tasks.map((t: { task_id: string }) => t.task_id).sort(), ['echo', 'produce']);
  const t = await api.expect(200, 'GET', '/api/v2/dags/contract/tasks/echo');
  assert.deepEqual(t.downstream_task_ids, []);
  await api.expect(404, 'GET', '/api/v2/dags/contract/tasks/nope');
});

test('dagRuns: trigger, list, get, patch, clear, delete', async () => {
  const list = await api.expect(200, 'GET', '/api/v2/dags/contract/dagRuns?order_by=-logical_date');
  assert.equal(list.total_entries, 1);
  assert.equal(list.dag_runs[0].dag_run_id, runId);
  const allDags = await api.expect(200, 'GET', '/api/v2/dags/~/dagRuns');
  assert.equal(allDags.total_entries, 2);
  const got = await api.expect(200, 'GET', run());
  assert.deepEqual(got.conf, { a: 1 });
  assert.equal(got.note, 'first');
  await api.expect(404, 'GET', '/api/v2/dags/contract/dagRuns/nope');

  const extra = await api.expect(200, 'POST', '/api/v2/dags/contract/dagRuns', { dag_run_id: 'manual_extra', logical_date: '2024-06-01T00:00:00Z', note: 'x' });
  assert.equal(extra.dag_run_id, 'manual_extra');
  await api.expect(409, 'POST', '/api/v2/dags/contract/dagRuns', { dag_run_id: 'manual_extra', logical_date: '2024-06-02T00:00:00Z' });
  await api.expect(404, 'POST', '/api/v2/dags/missing/dagRuns', { logical_date: null });
  const noted = await api.expect(200, 'PATCH', '/api/v2/dags/contract/dagRuns/manual_extra', { note: 'changed' });
  assert.equal(noted.note, 'changed');
  await api.expect(422, 'PATCH', '/api/v2/dags/contract/dagRuns/manual_extra', { bogus: 1 });
  await s.waitForRun('contract', 'manual_extra');
  const dry = await api.expect(200, 'POST', '/api/v2/dags/contract/dagRuns/manual_extra/clear', { dry_run: true });
  assert.equal(dry.total_entries, 2);
  await api.expect(204, 'DELETE', '/api/v2/dags/contract/dagRuns/manual_extra');
  await api.expect(404, 'DELETE', '/api/v2/dags/contract/dagRuns/manual_extra');
});

test('taskInstances of a run: list, get, patch dry run, clearTaskInstances, logs', async () => {
  const tis = await api.expect(200, 'GET', `${run()}/taskInstances`);
  assert.deepEqual(tis.task_instances.map((t: { task_id: string; state: string }) => [t.task_id, t.state]), [['echo', 'success'], ['produce', 'success']]);
  const ti = await api.expect(200, 'GET', `${run()}/taskInstances/produce`);
  assert.equal(ti.try_number, 1);
  await api.expect(404, 'GET', `${run()}/taskInstances/nope`);
  const dry = await api.expect(200, 'PATCH', `${run()}/taskInstances/produce/dry_run`, { new_state: 'failed', include_downstream: true });
  assert.equal(dry.total_entries, 2);
  const cleared = await api.expect(200, 'POST', '/api/v2/dags/contract/clearTaskInstances', { dry_run: true, only_failed: false, dag_run_id: runId });
  assert.equal(cleared.total_entries, 2);

  const log = await api.expect(200, 'GET', `${run()}/taskInstances/produce/logs/1`);
  assert.ok(log.content.some((l: { event: string }) => l.event.includes('producing')), JSON.stringify(log.content));
  assert.ok(log.continuation_token);
  const tail = await api.expect(200, 'GET', `${run()}/taskInstances/produce/logs/1?token=${log.continuation_token}`);
  assert.deepEqual(tail.content, [], 'nothing after the end of a finished log');
  const full = await api.expect(200, 'GET', `${run()}/taskInstances/produce/logs/1?full_content=true&token=${log.continuation_token}`);
  assert.equal(full.content.length, log.content.length);
  const ndjson = await api.call('GET', `${run()}/taskInstances/produce/logs/1`, undefined, { accept: 'application/x-ndjson' });
  assert.equal(ndjson.status, 200);
  assert.ok(String(ndjson.body).trim().split('\n').map((l) => JSON.parse(l)).some((l: { event: string }) => l.event.includes('producing')));
  // text/plain is Updraft's addition (the spec lists JSON and NDJSON), for curl and scripts
  const text = await api.raw('GET', `${run()}/taskInstances/produce/logs/1`, undefined, { accept: 'text/plain' });
  assert.equal(text.status, 200);
  assert.match(text.contentType, /^text\/plain/);
  assert.match(text.body, /producing/);
  await api.expect(404, 'GET', `${run()}/taskInstances/nope/logs/1`);
  await api.expect(404, 'GET', `/api/v2/dags/contract/dagRuns/${encodeURIComponent('../../etc')}/taskInstances/produce/logs/1`);
});

test('xcomEntries: list and get, deserialized and stringified', async () => {
  const list = await api.expect(200, 'GET', `${run()}/taskInstances/produce/xcomEntries`);
  assert.deepEqual(list.xcom_entries.map((x: { key: string }) => x.key), ['return_value']);
  const any = await api.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries');
  assert.ok(any.xcom_entries.some((x: { task_id: string }) => x.task_id === 'produce'));
  const entry = await api.expect(200, 'GET', `${run()}/taskInstances/produce/xcomEntries/return_value`);
  assert.deepEqual(entry.value, { n: 41 });
  const str = await api.expect(200, 'GET', `${run()}/taskInstances/produce/xcomEntries/return_value?stringify=true`);
  assert.equal(str.value, '{"n":41}');
  await api.expect(404, 'GET', `${run()}/taskInstances/produce/xcomEntries/nope`);
});

test('variables: CRUD, bulk, ordering and pagination', async () => {
  await api.expect(201, 'POST', '/api/v2/variables', { key: 'v1', value: 'one', description: 'first' });
  await api.expect(201, 'POST', '/api/v2/variables', { key: 'v2', value: { j: 1 } });
  await api.expect(409, 'POST', '/api/v2/variables', { key: 'v1', value: 'again' });
  await api.expect(422, 'POST', '/api/v2/variables', { key: 'v3' });
  const page = await api.expect(200, 'GET', '/api/v2/variables?order_by=-key&limit=1');
  assert.deepEqual([page.variables[0].key, page.total_entries], ['v2', 2]);
  assert.equal((await api.expect(200, 'GET', '/api/v2/variables/v1')).value, 'one');
  assert.equal((await api.expect(200, 'PATCH', '/api/v2/variables/v1', { key: 'v1', value: 'uno' })).value, 'uno');
  await api.expect(404, 'GET', '/api/v2/variables/none');
  const bulk = await api.expect(200, 'PATCH', '/api/v2/variables', {
    actions: [
      { action: 'create', entities: [{ key: 'v3', value: '3' }] },
      { action: 'delete', entities: ['v2', 'v3'] },
    ],
  });
  assert.deepEqual(bulk.delete.success, ['v2', 'v3']);
  await api.expect(204, 'DELETE', '/api/v2/variables/v1');
  assert.equal((await api.expect(200, 'GET', '/api/v2/variables')).total_entries, 0);
});

test('connections: CRUD, bulk and test', async () => {
  const conn = { connection_id: 'pg1', conn_type: 'postgres', host: 'db', port: 5432, login: 'u', password: 'secret' };
  const created = await api.expect(201, 'POST', '/api/v2/connections', conn);
  assert.equal(created.password, '***');
  await api.expect(409, 'POST', '/api/v2/connections', conn);
  await api.expect(422, 'POST', '/api/v2/connections', { connection_id: 'x' });
  assert.equal((await api.expect(200, 'GET', '/api/v2/connections/pg1')).host, 'db');
  assert.equal((await api.expect(200, 'PATCH', '/api/v2/connections/pg1?update_mask=host', { ...conn, host: 'db2' })).host, 'db2');
  assert.equal((await api.expect(200, 'GET', '/api/v2/connections?connection_id_pattern=pg%25')).total_entries, 1);
  const tested = await api.expect(200, 'POST', '/api/v2/connections/test', { connection_id: 'nowhere', conn_type: 'http', host: '127.0.0.1', port: 1 });
  assert.equal(typeof tested.status, 'boolean');
  const bulk = await api.expect(200, 'PATCH', '/api/v2/connections', { actions: [{ action: 'delete', entities: ['pg1', 'none'], action_on_non_existence: 'skip' }] });
  assert.deepEqual(bulk.delete.success, ['pg1']);
  await api.expect(404, 'DELETE', '/api/v2/connections/pg1');
});

test('importErrors list the broken file', async () => {
  const errors = await api.expect(200, 'GET', '/api/v2/importErrors');
  assert.equal(errors.total_entries, 1);
  assert.match(errors.import_errors[0].filename, /broken\.ts$/);
});

test('an operation the spec has but Updraft does not implement answers 404', async () => {
  const r = await api.call('GET', '/api/v2/assets');
  assert.equal(r.status, 404);
});

test('coverage report', () => {
  const ops = specOperations(contract);
  const covered = [...contract.covered.keys()];
  const missing = ops.filter((o) => !contract.covered.has(o.operationId)).map((o) => `${o.method.toUpperCase()} ${o.path}`);
  console.log(`contract coverage: ${covered.length}/${ops.length} operations exercised; not exercised:\n  ${missing.join('\n  ')}`);
  assert.ok(covered.length > 0);
});

/**
 * Contract tests: every implemented public operation is called against a
 * running standalone and every answer (successes and errors) is validated
 * against Airflow's OpenAPI document by `ContractClient`. The last test
 * prints which operations were exercised.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Contract, ContractClient, specOperations } from './api-contract.ts';
import { startStandalone, type TestStandalone, waitFor } from './helpers.ts';

let s: TestStandalone;
let api: ContractClient;
let contract: Contract;
let runId: string;
let failedRunId: string;

before(async () => {
  contract = await Contract.load();
  s = await startStandalone({ UPDRAFT__API__EXPOSE_CONFIG: 'true', UPDRAFT__CORE__TEST_CONNECTION: 'Enabled' });
  api = new ContractClient(contract, s.url, s.token);
  api.auditLog = s.db.pool;
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
  const toLogin = await anonymous.call('GET', '/api/v2/auth/login?next=/dags/contract');
  assert.equal(toLogin.status, 307);
  assert.equal(toLogin.headers.get('location'), `/?next=${encodeURIComponent('/dags/contract')}`);
  const offsite = await anonymous.call('GET', `/api/v2/auth/login?next=${encodeURIComponent('//evil.example.com/x')}`);
  assert.equal(offsite.headers.get('location'), '/?next=%2F', 'next never leaves the server');
  assert.equal((await anonymous.call('GET', '/api/v2/auth/logout')).status, 307);
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
  assert.equal(details.latest_dag_version.version_number, 1);
  const paused = await api.expect(200, 'PATCH', '/api/v2/dags/contract', { is_paused: true });
  assert.equal(paused.is_paused, true);
  await api.expect(200, 'PATCH', '/api/v2/dags/contract', { is_paused: false });
  const tasks = await api.expect(200, 'GET', '/api/v2/dags/contract/tasks');
  assert.deepEqual(tasks.tasks.map((t: { task_id: string }) => t.task_id), ['echo', 'produce']);
  const backwards = await api.expect(200, 'GET', '/api/v2/dags/contract/tasks?order_by=-task_id');
  assert.deepEqual(backwards.tasks.map((t: { task_id: string }) => t.task_id), ['produce', 'echo']);
  await api.expect(400, 'GET', '/api/v2/dags/contract/tasks?order_by=colour');
  await api.expect(204, 'POST', '/api/v2/dags/contract/favorite');
  assert.deepEqual((await api.expect(200, 'GET', '/api/v2/dags?is_favorite=true')).dags.map((d: { dag_id: string }) => d.dag_id), ['contract']);
  assert.deepEqual((await api.expect(200, 'GET', '/api/v2/dags?is_favorite=false')).dags.map((d: { dag_id: string }) => d.dag_id), ['contract_fail']);
  await api.expect(204, 'POST', '/api/v2/dags/contract/unfavorite');
  await api.expect(409, 'POST', '/api/v2/dags/contract/unfavorite');
  await api.expect(404, 'POST', '/api/v2/dags/missing/favorite');
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
  assert.deepEqual(got.dag_versions.map((v: { version_number: number; dag_id: string }) => [v.dag_id, v.version_number]), [['contract', 1]]);
  assert.equal(list.dag_runs[0].dag_versions[0].id, got.dag_versions[0].id);
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
  const filtered = await api.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries?task_id_pattern=prod&xcom_key_pattern=return&logical_date_gte=2024-05-01T00:00:00Z&map_index_filter=-1');
  assert.deepEqual(filtered.xcom_entries.map((x: { task_id: string }) => x.task_id), ['produce']);
  assert.equal((await api.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries?run_after_lt=2000-01-01T00:00:00Z')).total_entries, 0);
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
  await api.expect(204, 'POST', '/api/v2/connections/defaults');
  const defaults = await api.expect(200, 'GET', '/api/v2/connections?connection_id_pattern=_default');
  assert.ok(defaults.connections.some((c: { connection_id: string }) => c.connection_id === 'aws_default'));
  await api.expect(204, 'POST', '/api/v2/connections/defaults');
  assert.equal((await api.expect(200, 'GET', '/api/v2/connections?connection_id_pattern=_default')).total_entries, defaults.total_entries, 'a second call adds nothing');
  await api.expect(200, 'PATCH', '/api/v2/connections', { actions: [{ action: 'delete', entities: defaults.connections.map((c: { connection_id: string }) => c.connection_id) }] });
  const bulk = await api.expect(200, 'PATCH', '/api/v2/connections', { actions: [{ action: 'delete', entities: ['pg1', 'none'], action_on_non_existence: 'skip' }] });
  assert.deepEqual(bulk.delete.success, ['pg1']);
  await api.expect(404, 'DELETE', '/api/v2/connections/pg1');
});

test('importErrors list the broken file', async () => {
  const errors = await api.expect(200, 'GET', '/api/v2/importErrors');
  assert.equal(errors.total_entries, 1);
  assert.match(errors.import_errors[0].filename, /broken\.ts$/);
  assert.equal((await api.expect(200, 'GET', '/api/v2/importErrors?filename_pattern=broken&order_by=-timestamp')).total_entries, 1);
  assert.equal((await api.expect(200, 'GET', '/api/v2/importErrors?filename_pattern=contract')).total_entries, 0);
});

test('pools: CRUD, bulk, ordering, default_pool protected', async () => {
  const created = await api.expect(201, 'POST', '/api/v2/pools', { name: 'etl', slots: 3, description: 'ETL jobs' });
  assert.equal(created.open_slots, 3);
  await api.expect(409, 'POST', '/api/v2/pools', { name: 'etl', slots: 1 });
  await api.expect(422, 'POST', '/api/v2/pools', { name: 'x', slots: 'many' });
  await api.expect(422, 'POST', '/api/v2/pools', { name: 'x', slots: 1, colour: 'red' });
  const list = await api.expect(200, 'GET', '/api/v2/pools?order_by=-name');
  assert.deepEqual(list.pools.map((p: { name: string }) => p.name), ['etl', 'default_pool']);
  assert.equal(list.total_entries, 2);
  assert.equal((await api.expect(200, 'GET', '/api/v2/pools?pool_name_pattern=et')).total_entries, 1);
  assert.equal((await api.expect(200, 'PATCH', '/api/v2/pools/etl?update_mask=slots', { slots: 5, description: 'ignored' })).slots, 5);
  assert.equal((await api.expect(200, 'GET', '/api/v2/pools/etl')).description, 'ETL jobs');
  await api.expect(400, 'DELETE', '/api/v2/pools/default_pool');
  await api.expect(400, 'PATCH', '/api/v2/pools/default_pool', { name: 'renamed' });
  await api.expect(404, 'GET', '/api/v2/pools/none');
  const bulk = await api.expect(200, 'PATCH', '/api/v2/pools', {
    actions: [
      { action: 'create', entities: [{ name: 'p2', slots: 1 }, { name: 'etl', slots: 9 }], action_on_existence: 'overwrite' },
      { action: 'update', entities: [{ name: 'p2', slots: 2 }] },
      { action: 'delete', entities: ['nope'] },
    ],
  });
  assert.deepEqual(bulk.create.success, ['p2', 'etl']);
  assert.deepEqual(bulk.update.success, ['p2']);
  assert.equal(bulk.delete.errors[0].status_code, 404);
  assert.equal((await api.expect(200, 'GET', '/api/v2/pools/etl')).slots, 9);
  await api.expect(204, 'DELETE', '/api/v2/pools/p2');
  await api.expect(404, 'DELETE', '/api/v2/pools/p2');
});

test('eventLogs record who changed what', async () => {
  const logs = await api.expect(200, 'GET', '/api/v2/eventLogs?event=post_pool&order_by=-when');
  assert.ok(logs.total_entries >= 1);
  assert.equal(logs.event_logs[0].owner, 'admin');
  assert.match(logs.event_logs[0].extra, /etl/);
  const one = await api.expect(200, 'GET', `/api/v2/eventLogs/${logs.event_logs[0].event_log_id}`);
  assert.equal(one.event, 'post_pool');
  await api.expect(404, 'GET', '/api/v2/eventLogs/999999');
  const filtered = await api.expect(200, 'GET', `/api/v2/eventLogs?dag_id=contract&excluded_events=paused&after=2000-01-01T00:00:00Z`);
  assert.ok(filtered.event_logs.every((e: { dag_id: string; event: string }) => e.dag_id === 'contract' && e.event !== 'paused'));
  await api.expect(422, 'GET', '/api/v2/eventLogs?before=yesterday');
});

test('config is served when [api] expose_config is on, secrets hidden', async () => {
  const all = await api.expect(200, 'GET', '/api/v2/config');
  const auth = all.sections.find((x: { name: string }) => x.name === 'api_auth');
  assert.equal(auth.options.find((o: { key: string }) => o.key === 'jwt_secret').value, '< hidden >');
  const one = await api.expect(200, 'GET', '/api/v2/config/section/core/option/parallelism');
  assert.deepEqual(one.sections[0].options, [{ key: 'parallelism', value: '32' }]);
  await api.expect(404, 'GET', '/api/v2/config/section/core/option/nope');
  const text = await api.call('GET', '/api/v2/config?section=core', undefined, { accept: 'text/plain' });
  assert.match(text.body, /^\[core\]$/m);
  assert.match(text.body, /^parallelism = 32$/m);
});

test('dagSources, dagStats, dagTags, dagWarnings, dagVersions', async () => {
  const src = await api.expect(200, 'GET', '/api/v2/dagSources/contract');
  assert.match(src.content, /dag_id: 'contract'/);
  assert.equal(src.version_number, 1);
  await api.expect(404, 'GET', '/api/v2/dagSources/contract?version_number=7');
  await api.expect(404, 'GET', '/api/v2/dagSources/missing');
  const stats = await api.expect(200, 'GET', '/api/v2/dagStats?dag_ids=contract_fail');
  assert.deepEqual(stats.dags[0].stats.find((x: { state: string }) => x.state === 'failed'), { state: 'failed', count: 1 });
  const tags = await api.expect(200, 'GET', '/api/v2/dagTags?order_by=-name');
  assert.deepEqual(tags.tags, ['beta', 'alpha']);
  assert.deepEqual((await api.expect(200, 'GET', '/api/v2/dagTags?tag_name_pattern=alp')).tags, ['alpha']);
  const warnings = await api.expect(200, 'GET', '/api/v2/dagWarnings');
  assert.equal(warnings.total_entries, 0);
  const versions = await api.expect(200, 'GET', '/api/v2/dags/contract/dagVersions');
  assert.equal(versions.dag_versions[0].version_number, 1);
  const v1 = await api.expect(200, 'GET', '/api/v2/dags/contract/dagVersions/1');
  assert.equal(v1.id, versions.dag_versions[0].id);
  await api.expect(404, 'GET', '/api/v2/dags/contract/dagVersions/9');
});

test('dagRuns filters, batch list and wait', async () => {
  const failed = await api.expect(200, 'GET', '/api/v2/dags/~/dagRuns?state=failed');
  assert.deepEqual(failed.dag_runs.map((r: { dag_id: string }) => r.dag_id), ['contract_fail']);
  const ranged = await api.expect(200, 'GET', '/api/v2/dags/contract/dagRuns?logical_date_gte=2024-04-01T00:00:00Z&logical_date_lt=2024-06-01T00:00:00Z&conf_contains=%22a%22');
  assert.equal(ranged.total_entries, 1);
  await api.expect(422, 'GET', '/api/v2/dags/contract/dagRuns?state=exploded');
  await api.expect(404, 'GET', '/api/v2/dags/missing/dagRuns');
  const batch = await api.expect(200, 'POST', '/api/v2/dags/~/dagRuns/list', { dag_ids: ['contract', 'contract_fail'], states: ['success'], order_by: '-run_after', page_limit: 10 });
  assert.deepEqual(batch.dag_runs.map((r: { dag_run_id: string }) => r.dag_run_id), [runId]);
  await api.expect(422, 'POST', '/api/v2/dags/~/dagRuns/list', { dag_ids: 'contract' });
  const wait = await api.call('GET', `${run()}/wait?interval=0.1&result=produce`);
  assert.equal(wait.status, 200);
  assert.deepEqual(JSON.parse(String(wait.body).trim().split('\n').at(-1) as string), { state: 'success', results: { produce: { n: 41 } } });
  await api.expect(422, 'GET', `${run()}/wait`);
  // a run still going: one state line per interval, then the final one
  await api.expect(200, 'POST', '/api/v2/dags/contract/dagRuns', { dag_run_id: 'waited_for', logical_date: '2024-07-01T00:00:00Z' });
  const live = await api.call('GET', '/api/v2/dags/contract/dagRuns/waited_for/wait?interval=0.05');
  const lines = String(live.body).trim().split('\n').map((l) => JSON.parse(l) as { state: string });
  assert.ok(lines.length >= 2, JSON.stringify(lines));
  assert.ok(lines.slice(0, -1).every((l) => l.state === 'queued' || l.state === 'running'), JSON.stringify(lines));
  assert.equal(lines.at(-1)?.state, 'success');
  await api.expect(204, 'DELETE', '/api/v2/dags/contract/dagRuns/waited_for');
});

test('taskInstances: ~ lists, filters, batch, mapped, tries, dependencies', async () => {
  const all = await api.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances?order_by=-start_date');
  assert.ok(all.total_entries >= 3);
  const failed = await api.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances?state=failed');
  assert.equal(failed.task_instances[0].dag_version.version_number, 1);
  assert.deepEqual(failed.task_instances.map((t: { task_id: string }) => t.task_id), ['boom']);
  const bash = await api.expect(200, 'GET', '/api/v2/dags/contract/dagRuns/~/taskInstances?operator=BashOperator&pool=default_pool');
  assert.deepEqual(bash.task_instances.map((t: { task_id: string }) => t.task_id), ['echo']);
  await api.expect(404, 'GET', '/api/v2/dags/missing/dagRuns/~/taskInstances');
  const batch = await api.expect(200, 'POST', '/api/v2/dags/~/dagRuns/~/taskInstances/list', { dag_ids: ['contract_fail'], state: ['failed'] });
  assert.equal(batch.total_entries, 1);
  await api.expect(422, 'POST', '/api/v2/dags/~/dagRuns/~/taskInstances/list', { nonsense: true });
  const mapped = await api.expect(200, 'GET', `${run()}/taskInstances/produce/listMapped`);
  assert.equal(mapped.total_entries, 0);
  const byIndex = await api.expect(200, 'GET', `${run()}/taskInstances/produce/-1`);
  assert.equal(byIndex.task_id, 'produce');
  await api.expect(404, 'GET', `${run()}/taskInstances/produce/3`);
  const tries = await api.expect(200, 'GET', `${run()}/taskInstances/produce/tries`);
  assert.deepEqual(tries.task_instances.map((t: { try_number: number }) => t.try_number), [1]);
  const try1 = await api.expect(200, 'GET', `${run()}/taskInstances/produce/tries/1`);
  assert.equal(try1.state, 'success');
  await api.expect(404, 'GET', `${run()}/taskInstances/produce/tries/4`);
  const deps = await api.expect(200, 'GET', `${run()}/taskInstances/produce/dependencies`);
  assert.deepEqual(deps.dependencies.map((d: { name: string }) => d.name), ['Task Instance State']);
});

test('taskInstances by map index (-1 for unmapped): note, dry run, tries, dependencies', async () => {
  const noted = await api.expect(200, 'PATCH', `${run()}/taskInstances/echo`, { note: 'looked at it' });
  assert.deepEqual(noted.task_instances.map((t: { task_id: string; note: string }) => [t.task_id, t.note]), [['echo', 'looked at it']]);
  const byIndex = await api.expect(200, 'PATCH', `${run()}/taskInstances/echo/-1`, { note: 'by index' });
  assert.equal(byIndex.task_instances[0].note, 'by index');
  const dry = await api.expect(200, 'PATCH', `${run()}/taskInstances/echo/-1/dry_run`, { new_state: 'failed' });
  assert.equal(dry.task_instances[0].state, 'success', 'a dry run shows the instances as they are');
  assert.equal((await api.expect(200, 'GET', `${run()}/taskInstances/echo/-1/tries`)).total_entries, 1);
  assert.equal((await api.expect(200, 'GET', `${run()}/taskInstances/echo/-1/tries/1`)).try_number, 1);
  await api.expect(200, 'GET', `${run()}/taskInstances/echo/-1/dependencies`);
  assert.deepEqual(await api.expect(200, 'GET', `${run()}/taskInstances/echo/links`), { extra_links: {}, total_entries: 0 });
  assert.match((await api.expect(400, 'GET', `${run()}/taskInstances/echo/externalLogUrl/1`)).detail, /does not support external logs/);
  await api.expect(404, 'GET', `${run()}/taskInstances/nope/externalLogUrl/1`);
  await api.expect(404, 'GET', `${run()}/taskInstances/nope/links`);
  await api.expect(404, 'GET', `${run()}/taskInstances/echo/5/dependencies`);
  await api.expect(422, 'PATCH', `${run()}/taskInstances/echo/-1`, { note: 'x', colour: 'red' });
});

test('xcomEntries: create and update by hand', async () => {
  const created = await api.expect(201, 'POST', `${run()}/taskInstances/echo/xcomEntries`, { key: 'manual', value: { hand: true } });
  assert.deepEqual(created.value, { hand: true });
  await api.expect(400, 'POST', `${run()}/taskInstances/echo/xcomEntries`, { key: 'manual', value: 1 });
  await api.expect(404, 'POST', `${run()}/taskInstances/nope/xcomEntries`, { key: 'manual', value: 1 });
  const updated = await api.expect(200, 'PATCH', `${run()}/taskInstances/echo/xcomEntries/manual`, { value: [1, 2] });
  assert.deepEqual(updated.value, [1, 2]);
  assert.deepEqual((await api.expect(200, 'GET', `${run()}/taskInstances/echo/xcomEntries/manual`)).value, [1, 2]);
  await api.expect(404, 'PATCH', `${run()}/taskInstances/echo/xcomEntries/absent`, { value: 1 });
  await api.expect(422, 'PATCH', `${run()}/taskInstances/echo/xcomEntries/manual`, { value: 1, key: 'other' });
  await api.expect(204, 'DELETE', `${run()}/taskInstances/echo/xcomEntries/manual`);
  await api.expect(404, 'GET', `${run()}/taskInstances/echo/xcomEntries/manual`);
  await api.expect(404, 'DELETE', `${run()}/taskInstances/echo/xcomEntries/manual`);
});

test('importErrors one by one, jobs, plugins, providers', async () => {
  const list = await api.expect(200, 'GET', '/api/v2/importErrors');
  const one = await api.expect(200, 'GET', `/api/v2/importErrors/${list.import_errors[0].import_error_id}`);
  assert.match(one.stack_trace, /broken on purpose/);
  await api.expect(404, 'GET', '/api/v2/importErrors/424242');
  const jobs = await api.expect(200, 'GET', '/api/v2/jobs?is_alive=true&job_type=SchedulerJob');
  assert.equal(jobs.total_entries, 1);
  assert.equal(jobs.jobs[0].state, 'running');
  assert.equal((await api.expect(200, 'GET', '/api/v2/plugins')).total_entries, 0);
  await api.expect(200, 'GET', '/api/v2/plugins/importErrors');
  const providers = await api.expect(200, 'GET', '/api/v2/providers');
  assert.ok(providers.providers.some((p: { package_name: string }) => p.package_name === '@updraft/provider-aws'));
});

test('backfills: dry run, create, list, get, pause, unpause, cancel', async (t) => {
  const implemented = (await api.raw('GET', '/openapi.json')).body as { paths: Record<string, unknown> };
  if (!implemented.paths['/api/v2/backfills']) return t.skip('backfills are not registered on this server');
  const body = { dag_id: 'contract_fail', from_date: '2024-02-01T00:00:00Z', to_date: '2024-02-02T00:00:00Z', max_active_runs: 1 };
  const dry = await api.expect(200, 'POST', '/api/v2/backfills/dry_run', body);
  assert.ok(dry.total_entries >= 1, JSON.stringify(dry));
  await api.expect(422, 'POST', '/api/v2/backfills/dry_run', { ...body, colour: 'red' });
  await api.expect(404, 'POST', '/api/v2/backfills', { ...body, dag_id: 'missing' });
  const created = await api.expect(200, 'POST', '/api/v2/backfills', body);
  const paused = await api.expect(200, 'PUT', `/api/v2/backfills/${created.id}/pause`);
  assert.equal(paused.is_paused, true);
  assert.equal((await api.expect(200, 'GET', `/api/v2/backfills/${created.id}`)).dag_id, 'contract_fail');
  const list = await api.expect(200, 'GET', '/api/v2/backfills?dag_id=contract_fail');
  assert.deepEqual(list.backfills.map((b: { id: number }) => b.id), [created.id]);
  assert.equal((await api.expect(200, 'PUT', `/api/v2/backfills/${created.id}/unpause`)).is_paused, false);
  const cancelled = await api.expect(200, 'PUT', `/api/v2/backfills/${created.id}/cancel`);
  assert.ok(cancelled.completed_at, JSON.stringify(cancelled));
  await api.expect(404, 'GET', '/api/v2/backfills/424242');
  // what the backfill started finishes before the DAG is deleted below
  await waitFor(async () => !(await s.db.pool.query("SELECT 1 FROM task_instance WHERE dag_id = 'contract_fail' AND state IN ('scheduled', 'queued', 'running', 'up_for_retry')")).rowCount, 20_000, 'the backfill runs to finish');
});

test('DELETE a DAG removes it with its runs; PATCH /dags pauses by pattern', async () => {
  await api.expect(200, 'DELETE', '/api/v2/dags/contract_fail');
  await api.expect(404, 'GET', '/api/v2/dags/contract_fail');
  const runs = await s.db.pool.query("SELECT count(*)::int AS n FROM dag_run WHERE dag_id = 'contract_fail'");
  assert.equal(runs.rows[0].n, 0);
  await api.expect(404, 'DELETE', '/api/v2/dags/contract_fail');
  const unpaused = await api.expect(200, 'PATCH', '/api/v2/dags?dag_id_pattern=contr', { is_paused: false });
  assert.deepEqual(unpaused.dags.map((d: { dag_id: string; is_paused: boolean }) => [d.dag_id, d.is_paused]), [['contract', false]]);
  await api.expect(400, 'PATCH', '/api/v2/dags', { is_paused: true });
  await api.expect(422, 'PATCH', '/api/v2/dags?dag_id_pattern=~', { is_paused: 'yes' });
  const paused = await api.expect(200, 'PATCH', '/api/v2/dags?dag_id_pattern=~', { is_paused: true });
  assert.deepEqual(paused.dags.map((d: { is_paused: boolean }) => d.is_paused), [true]);
  const audit = await s.db.pool.query("SELECT event FROM log WHERE dag_id = 'contract_fail' AND event = 'delete_dag'");
  assert.equal(audit.rowCount, 1);
});

test('assets: list, get, events (from a task and by hand), queued events of a DAG', async () => {
  s.writeDag(
    'contract_assets.ts',
    `import { DAG, Asset, BashOperator } from '@updraft/sdk';
     const orders = new Asset('s3://warehouse/orders');
     new DAG({ dag_id: 'contract_producer', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'write', bash_command: 'true', outlets: [orders] });
     });
     new DAG({ dag_id: 'contract_consumer', schedule: [orders], start_date: '2024-01-01', is_paused_upon_creation: true }, () => {
       new BashOperator({ task_id: 'read', bash_command: 'true' });
     });`,
  );
  await s.waitForDag('contract_producer');
  await s.waitForDag('contract_consumer');
  const list = await api.expect(200, 'GET', '/api/v2/assets?uri_pattern=warehouse');
  assert.equal(list.total_entries, 1);
  const asset = list.assets[0];
  assert.deepEqual(asset.scheduled_dags.map((d: { dag_id: string }) => d.dag_id), ['contract_consumer']);
  assert.deepEqual(asset.producing_tasks.map((t: { task_id: string }) => t.task_id), ['write']);
  await api.expect(200, 'GET', `/api/v2/assets?dag_ids=contract_consumer&order_by=-name`);
  assert.equal((await api.expect(200, 'GET', `/api/v2/assets/${asset.id}`)).uri, 's3://warehouse/orders');
  await api.expect(404, 'GET', '/api/v2/assets/987654');

  const produced = await s.trigger('contract_producer');
  assert.equal(await s.waitForRun('contract_producer', produced), 'success');
  const fromTask = await api.expect(200, 'GET', `/api/v2/assets/events?asset_id=${asset.id}&source_dag_id=contract_producer`);
  assert.equal(fromTask.total_entries, 1);
  assert.equal(fromTask.asset_events[0].source_task_id, 'write');
  const byHand = await api.expect(200, 'POST', '/api/v2/assets/events', { asset_id: asset.id, extra: { rows: 12 } });
  assert.equal(byHand.extra.rows, 12);
  await api.expect(404, 'POST', '/api/v2/assets/events', { asset_id: 987654 });
  const events = await api.expect(200, 'GET', '/api/v2/assets/events?order_by=-timestamp&limit=1');
  assert.equal(events.asset_events[0].id, byHand.id);
  // the consumer is paused: its update waits in the queue
  const queued = await api.expect(200, 'GET', '/api/v2/dags/contract_consumer/assets/queuedEvents');
  assert.equal(queued.total_entries, 1);
  assert.equal(queued.queued_events[0].asset_id, asset.id);
  await api.expect(204, 'DELETE', '/api/v2/dags/contract_consumer/assets/queuedEvents');
  await api.expect(404, 'DELETE', '/api/v2/dags/contract_consumer/assets/queuedEvents');
  assert.equal((await api.expect(200, 'GET', '/api/v2/dags/contract_consumer/assets/queuedEvents')).total_entries, 0);
});

test('an operation the spec has but Updraft does not implement answers 404', async () => {
  const r = await api.call('GET', '/api/v2/assets/aliases');
  assert.equal(r.status, 404);
});

test('coverage: every operation the server implements (its /openapi.json) was exercised and validated above', async () => {
  const implemented = (await api.raw('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string }>> };
  const ops = Object.entries(implemented.paths).flatMap(([p, byMethod]) => Object.entries(byMethod).map(([m, op]) => ({ id: op.operationId, name: `${m.toUpperCase()} ${p}` })));
  const missing = ops.filter((o) => !contract.covered.has(o.id)).map((o) => o.name);
  const unimplemented = specOperations(contract).filter((o) => !ops.some((x) => x.id === o.operationId)).map((o) => `${o.method.toUpperCase()} ${o.path}`);
  console.log(`contract coverage: ${ops.filter((o) => contract.covered.has(o.id)).length} of the ${ops.length} implemented operations exercised (the spec has ${specOperations(contract).length});\nnot implemented (404):\n  ${unimplemented.join('\n  ')}`);
  assert.deepEqual(missing, [], 'implemented operations no test exercised');
});

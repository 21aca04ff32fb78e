/**
 * Bad input gets the right 4xx with a message and changes nothing: malformed
 * JSON, wrong types, unknown fields, bodies over [api] max_body_size, ids with
 * path traversal, SQL metacharacters in filters and ordering; CORS only when
 * [api] access_control_allow_origins is set.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildApp } from '../src/api/app.ts';
import { jwtSecret } from '../src/security/secret.ts';
import { Contract, ContractClient, dbSnapshot } from './api-contract.ts';
import { startStandalone, type TestStandalone } from './helpers.ts';

const MAX_BODY = 4096;
let s: TestStandalone;
let api: ContractClient;

before(async () => {
  s = await startStandalone({ UPDRAFT__API__MAX_BODY_SIZE: String(MAX_BODY) });
  api = new ContractClient(await Contract.load(), s.url, s.token);
  s.writeDag(
    'bad_input.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'bad_input', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'only', bash_command: 'echo ok' });
     });`,
  );
  await s.waitForDag('bad_input');
  await api.expect(201, 'POST', '/api/v2/variables', { key: 'keep', value: 'me' });
  await api.expect(201, 'POST', '/api/v2/pools', { name: 'keep_pool', slots: 2 });
  await s.waitForRun('bad_input', await s.trigger('bad_input', { dag_run_id: 'keep_run' }));
});
after(async () => {
  await s?.close();
});

const snapshot = () => dbSnapshot(s.db.pool);

/** Runs `calls`, then checks the database is as it was. */
async function changesNothing(calls: () => Promise<void>) {
  const before = await snapshot();
  await calls();
  assert.deepEqual(await snapshot(), before, 'the refused requests changed nothing');
}

test('malformed JSON is a 400 with a message', async () => {
  await changesNothing(async () => {
    for (const [method, url] of [
      ['POST', '/api/v2/variables'],
      ['PATCH', '/api/v2/pools/keep_pool'],
      ['POST', '/api/v2/dags/bad_input/dagRuns'],
      ['PATCH', '/api/v2/dags/bad_input'],
    ]) {
      const r = await api.raw(method, url, '{"key": "x", "value": ', {});
      assert.equal(r.status, 400, `${method} ${url}`);
      assert.match(r.body.detail, /JSON/i);
    }
  });
});

test('wrong types and unknown fields are 422 in the validation-error shape', async () => {
  await changesNothing(async () => {
    const cases: [string, string, unknown][] = [
      ['POST', '/api/v2/variables', { key: 7, value: 'x' }],
      ['POST', '/api/v2/variables', { key: 'k', value: 'x', surprise: true }],
      ['POST', '/api/v2/pools', { name: 'p', slots: '3' }],
      ['POST', '/api/v2/pools', { name: 'p', slots: 1, extra: 1 }],
      ['PATCH', '/api/v2/pools/keep_pool', { slots: -5 }],
      ['PATCH', '/api/v2/dags/bad_input', { is_paused: 'no' }],
      ['PATCH', '/api/v2/dags/bad_input', { is_paused: true, owner: 'me' }],
      ['PATCH', '/api/v2/dags/bad_input/dagRuns/keep_run', { note: 5 }],
      ['PATCH', '/api/v2/dags/bad_input/dagRuns/keep_run', { state: 'exploded' }],
      ['POST', '/api/v2/connections', { connection_id: 'c', conn_type: 'http', port: 'eighty' }],
      ['PATCH', '/api/v2/variables', { actions: 'all of them' }],
      ['POST', '/api/v2/dags/~/dagRuns/list', { page_limit: -1 }],
      ['POST', '/api/v2/dags/bad_input/dagRuns', { confs: { typo: true } }],
      ['POST', '/api/v2/dags/bad_input/dagRuns', { dag_run_id: 5 }],
      ['POST', '/api/v2/dags/bad_input/dagRuns', { logical_date: 'tomorrow-ish' }],
      ['POST', '/api/v2/dags/bad_input/clearTaskInstances', { dry_run: 'no' }],
      ['POST', '/api/v2/dags/bad_input/clearTaskInstances', { dry_run: false, task_ids: 'only' }],
    ];
    for (const [method, url, body] of cases) {
      const r = await api.call(method, url, body);
      assert.equal(r.status, 422, `${method} ${url} ${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(Array.isArray(r.body.detail) && r.body.detail[0].msg, JSON.stringify(r.body));
    }
  });
});

test('a body over [api] max_body_size is refused with 413, declared or streamed', async () => {
  await changesNothing(async () => {
    const big = { key: 'big', value: 'x'.repeat(MAX_BODY * 2) };
    const declared = await api.raw('POST', '/api/v2/variables', big);
    assert.equal(declared.status, 413);
    assert.match(declared.body.detail, /max_body_size/);
    // no content-length: the body arrives in chunks and is counted as it streams
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify(big)));
        controller.close();
      },
    });
    const streamed = await fetch(`${s.url}/api/v2/variables`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);
  });
});

test('ids with path separators or traversal find nothing and reach no file', async () => {
  await changesNothing(async () => {
    for (const url of [
      `/api/v2/variables/${encodeURIComponent('../../etc/passwd')}`,
      `/api/v2/dags/${encodeURIComponent('../bad_input')}`,
      `/api/v2/dagSources/${encodeURIComponent('../../../etc/passwd')}`,
      `/api/v2/dags/bad_input/dagRuns/${encodeURIComponent('../keep_run')}/taskInstances/only/logs/1`,
      `/api/v2/dags/bad_input/dagRuns/keep_run/taskInstances/${encodeURIComponent('../../../../etc')}/logs/1`,
      `/api/v2/pools/${encodeURIComponent('../keep_pool')}`,
    ]) {
      const r = await api.call('GET', url);
      assert.equal(r.status, 404, `${url} → ${r.status} ${JSON.stringify(r.body)}`);
    }
    assert.equal((await api.call('DELETE', `/api/v2/dags/${encodeURIComponent('../bad_input')}`)).status, 404);
    const conn = await api.call('POST', '/api/v2/connections', { connection_id: '../../etc', conn_type: 'http' });
    assert.equal(conn.status, 422);
  });
});

test('SQL metacharacters in filters are text, and in ordering are refused', async () => {
  await changesNothing(async () => {
    const injections = ["' OR '1'='1", "%'; DELETE FROM variable; --", "\\'; DROP TABLE dag; --"];
    for (const value of injections) {
      const q = encodeURIComponent(value);
      assert.equal((await api.expect(200, 'GET', `/api/v2/dags?dag_id_pattern=${q}`)).total_entries, 0);
      assert.equal((await api.expect(200, 'GET', `/api/v2/variables?variable_key_pattern=${q}`)).total_entries, 0);
      assert.equal((await api.expect(200, 'GET', `/api/v2/eventLogs?owner=${q}`)).total_entries, 0);
      assert.equal((await api.expect(200, 'GET', `/api/v2/dags/~/dagRuns?run_id_pattern=${q}`)).total_entries, 0);
      await api.expect(422, 'GET', `/api/v2/dags/~/dagRuns?state=${q}`);
      await api.expect(404, 'GET', `/api/v2/variables/${q}`);
    }
    await api.expect(422, 'GET', `/api/v2/dags?order_by=${encodeURIComponent('dag_id; DROP TABLE dag')}`);
    await api.expect(422, 'GET', `/api/v2/pools?order_by=${encodeURIComponent('(SELECT 1)')}`);
    await api.expect(422, 'GET', `/api/v2/dags?limit=${encodeURIComponent('1; DELETE FROM dag')}`);
    await api.expect(422, 'GET', `/api/v2/dags/~/dagRuns?start_date_gte=${encodeURIComponent("now()' --")}`);
  });
  // a literal match still works: the pattern is a bound value, not SQL
  assert.equal((await api.expect(200, 'GET', '/api/v2/dags?dag_id_pattern=bad_in')).total_entries, 1);
});

test('CORS headers only when [api] access_control_allow_origins is set', async () => {
  const preflight = (base: string) =>
    fetch(`${base}/api/v2/dags`, { method: 'OPTIONS', headers: { origin: 'https://ui.example.com', 'access-control-request-method': 'GET' } });
  const off = await preflight(s.url);
  assert.equal(off.headers.get('access-control-allow-origin'), null);
  const offGet = await fetch(`${s.url}/api/v2/dags`, { headers: { origin: 'https://ui.example.com', authorization: `Bearer ${s.token}` } });
  assert.equal(offGet.headers.get('access-control-allow-origin'), null);

  const app = buildApp({ pool: s.db.pool, config: s.config.with({ 'api.access_control_allow_origins': 'https://ui.example.com' }), secret: jwtSecret(s.config) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const on = await preflight(base);
    assert.equal(on.status, 204);
    assert.equal(on.headers.get('access-control-allow-origin'), 'https://ui.example.com');
    assert.match(on.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const get = await fetch(`${base}/api/v2/dags`, { headers: { origin: 'https://ui.example.com', authorization: `Bearer ${s.token}` } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('access-control-allow-origin'), 'https://ui.example.com');
    const unauth = await fetch(`${base}/api/v2/dags`, { headers: { origin: 'https://ui.example.com' } });
    assert.equal(unauth.status, 401);
    assert.equal(unauth.headers.get('access-control-allow-origin'), 'https://ui.example.com', 'a browser can read the 401');
    const other = await fetch(`${base}/api/v2/dags`, { headers: { origin: 'https://evil.example.com', authorization: `Bearer ${s.token}` } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  } finally {
    await app.close();
  }
});

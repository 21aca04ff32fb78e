/**
 * XCom through the Execution API as a task process calls it: JSON values only,
 * [core] max_xcom_size with the task and key named, values over
 * [core] xcom_objectstorage_threshold offloaded to a local folder or to S3
 * (a real moto_server) with only a reference in the row, read back
 * transparently by the Execution API and the public API, and removed with
 * their row when a new try starts.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/api/app.ts';
import { freePort } from '../src/db/embedded.ts';
import { generateFernetKey } from '../src/security/encryption.ts';
import { jwtSecret } from '../src/security/secret.ts';
import { signToken } from '../src/security/tokens.ts';
import { startTestDb, testConfig, waitFor, type TestDb } from './helpers.ts';

const DAG = 'xcom_dag';
const RUN = 'manual__2024-05-01T00:00:00+00:00';
let t: TestDb;
let secret: Uint8Array;
let userToken: string;
const apps: FastifyInstance[] = [];

/** An api-server on its own port over the shared test database, configured by `env`. */
async function apiServer(env: Record<string, string>): Promise<string> {
  const app = buildApp({ pool: t.db.pool, config: testConfig(t.config.home, { UPDRAFT__CORE__FERNET_KEY: generateFernetKey(), ...env }), secret });
  await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push(app);
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

/** A queued task instance, and a token for its try. */
async function taskInstance(taskId: string): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  await t.db.pool.query(
    `INSERT INTO task_instance (id, dag_id, run_id, task_id, state, try_number, operator, pool) VALUES ($1, $2, $3, $4, 'queued', 1, 'PythonOperator', 'default_pool')
     ON CONFLICT (dag_id, run_id, task_id, map_index) DO UPDATE SET id = EXCLUDED.id, state = 'queued'`,
    [id, DAG, RUN, taskId],
  );
  const token = await signToken(secret, { kind: 'task', sub: id, dag_id: DAG, run_id: RUN, task_id: taskId, map_index: -1, try_number: 1 }, 300);
  return { id, token };
}

async function call(base: string, token: string, method: string, url: string, body?: string, contentType = 'application/json') {
  const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const pushUrl = (taskId: string, key: string) => `/execution/xcoms/${DAG}/${encodeURIComponent(RUN)}/${taskId}/${key}`;
const push = (base: string, token: string, taskId: string, key: string, value: unknown) => call(base, token, 'POST', pushUrl(taskId, key), JSON.stringify({ value }));
const rows = async (taskId: string) =>
  (await t.db.pool.query<{ key: string; value: unknown; value_ref: string | null }>('SELECT key, value, value_ref FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 ORDER BY key', [DAG, RUN, taskId])).rows;
const bigValue = (tag: string) => ({ tag, rows: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `row-${i}` })) });

before(async () => {
  t = await startTestDb();
  secret = jwtSecret(t.config);
  userToken = await signToken(secret, { kind: 'user', sub: 'admin', role: 'Admin' }, 300);
  await t.db.pool.query(`INSERT INTO dag (dag_id, fileloc, relative_fileloc, max_active_runs, max_active_tasks) VALUES ($1, '/dags/x.ts', 'x.ts', 16, 16)`, [DAG]);
  const v = await t.db.pool.query<{ id: number }>(`INSERT INTO dag_version (dag_id, version_number, hash, data) VALUES ($1, 1, 'h', '{}') RETURNING id`, [DAG]);
  await t.db.pool.query(`INSERT INTO dag_run (dag_id, run_id, dag_version_id, run_type, state, run_after, logical_date) VALUES ($1, $2, $3, 'manual', 'running', now(), '2024-05-01T00:00:00Z')`, [DAG, RUN, v.rows[0].id]);
});
after(async () => {
  for (const app of apps) await app.close();
  await t?.close();
});

describe('XCom values pushed by tasks', () => {
  test('anything but JSON is refused with 400, a value over [core] max_xcom_size with 413, each naming the task and key; nothing is stored', async () => {
    const base = await apiServer({ UPDRAFT__CORE__MAX_XCOM_SIZE: '1000' });
    const { token } = await taskInstance('refused');
    const name = `XCom 'k' of task 'refused' \\(DAG '${DAG}', run '${RUN.replace(/[+.]/g, '\\$&')}'\\)`;

    const nan = await call(base, token, 'POST', pushUrl('refused', 'k'), '{"value": NaN}');
    assert.equal(nan.status, 400);
    assert.match(nan.body.detail, new RegExp(`${name} is not JSON .*XCom values must be JSON-serializable`));
    const text = await call(base, token, 'POST', pushUrl('refused', 'k'), 'a python repr', 'text/plain');
    assert.equal(text.status, 400);
    assert.match(text.body.detail, new RegExp(`${name} is not JSON`));
    const noValue = await call(base, token, 'POST', pushUrl('refused', 'k'), '{"valeu": 1}');
    assert.equal(noValue.status, 400);
    assert.match(noValue.body.detail, new RegExp(`${name} has no value`));

    const over = await push(base, token, 'refused', 'k', 'x'.repeat(999));
    assert.equal(over.status, 413);
    assert.match(over.body.detail, new RegExp(`${name} is 1001 bytes of JSON, more than \\[core\\] max_xcom_size \\(1000 bytes\\)`));
    // far over: refused by the body limit, before it is even parsed, with the same words
    const huge = await push(base, token, 'refused', 'k', 'x'.repeat(200_000));
    assert.equal(huge.status, 413);
    assert.match(huge.body.detail, new RegExp(`${name} is larger than \\[core\\] max_xcom_size \\(1000 bytes\\)`));
    assert.deepEqual(await rows('refused'), []);

    assert.equal((await push(base, token, 'refused', 'k', 'x'.repeat(998))).status, 201, 'exactly max_xcom_size bytes is allowed');
    assert.equal((await push(base, token, 'refused', 'null_is_json', null)).status, 201);
    assert.deepEqual((await rows('refused')).map((r) => r.key), ['k', 'null_is_json']);
    const other = await taskInstance('someone_else');
    assert.equal((await push(base, other.token, 'refused', 'k', 1)).status, 403, 'a task pushes only its own XComs');
  });

  test('values over the threshold go to a local folder with a reference in the row, read back by both APIs, and go away with a new try', async () => {
    const base = await apiServer({ UPDRAFT__CORE__XCOM_OBJECTSTORAGE_THRESHOLD: '100' });
    const producer = await taskInstance('producer');
    const consumer = await taskInstance('consumer');
    assert.equal((await push(base, producer.token, 'producer', 'small', { a: 1 })).status, 201);
    assert.equal((await push(base, producer.token, 'producer', 'return_value', bigValue('first'))).status, 201);
    assert.equal((await push(base, consumer.token, 'consumer', 'big_too', bigValue('consumer'))).status, 201);

    const [big, small] = await rows('producer');
    assert.deepEqual(small, { key: 'small', value: { a: 1 }, value_ref: null });
    assert.equal(big.value, null, 'only the reference is in the database');
    assert.match(big.value_ref as string, new RegExp(`^file://${t.config.home}/xcom/dag_id=${DAG}/run_id=${encodeURIComponent(encodeURIComponent(RUN))}/task_id=producer/map_index=-1/return_value\\.[0-9a-f-]{36}\\.json$`));
    const firstFile = fileURLToPath(big.value_ref as string);
    assert.deepEqual(JSON.parse(fs.readFileSync(firstFile, 'utf8')), bigValue('first'));

    // read back as if it were in the row: the Execution API (xcom_pull) and the public API
    const pulled = await call(base, consumer.token, 'GET', `/execution/xcoms/${DAG}/${encodeURIComponent(RUN)}`);
    assert.deepEqual(pulled.body.find((x: { key: string }) => x.key === 'return_value').value, bigValue('first'));
    assert.deepEqual((await call(base, consumer.token, 'GET', `${pushUrl('producer', 'return_value')}?map_index=-1`)).body, { key: 'return_value', value: bigValue('first') });
    const entry = await call(base, userToken, 'GET', `/api/v2/dags/${DAG}/dagRuns/${encodeURIComponent(RUN)}/taskInstances/producer/xcomEntries/return_value`);
    assert.equal(entry.status, 200, JSON.stringify(entry.body));
    assert.deepEqual(entry.body.value, bigValue('first'));
    assert.equal(entry.body.logical_date, '2024-05-01T00:00:00.000Z');
    const list = await call(base, userToken, 'GET', `/api/v2/dags/${DAG}/dagRuns/~/taskInstances/~/xcomEntries`);
    assert.deepEqual(list.body.xcom_entries.map((x: { task_id: string; key: string }) => `${x.task_id}.${x.key}`), ['consumer.big_too', 'producer.return_value', 'producer.small', 'refused.k', 'refused.null_is_json']);
    const filtered = await call(base, userToken, 'GET', `/api/v2/dags/${DAG}/dagRuns/~/taskInstances/~/xcomEntries?xcom_key=small`);
    assert.equal(filtered.body.total_entries, 1);

    // pushing the key again replaces the stored object; a small value brings it back into the row
    assert.equal((await push(base, producer.token, 'producer', 'return_value', bigValue('second'))).status, 201);
    const secondRef = (await rows('producer'))[0].value_ref as string;
    assert.equal(fs.existsSync(firstFile), false, 'the replaced object is deleted');
    assert.deepEqual(JSON.parse(fs.readFileSync(fileURLToPath(secondRef), 'utf8')), bigValue('second'));

    // a new try of the producer starts without its previous XComs, objects included; the consumer's stay
    const started = await call(base, producer.token, 'PATCH', `/execution/task-instances/${producer.id}/run`, JSON.stringify({ hostname: 'h', pid: 1 }));
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.deepEqual(await rows('producer'), []);
    assert.equal(fs.existsSync(fileURLToPath(secondRef)), false);
    const consumerRef = (await rows('consumer'))[0].value_ref as string;
    assert.ok(fs.existsSync(fileURLToPath(consumerRef)));
  });

  test('with xcom_objectstorage_path = s3://bucket/prefix the values go to S3 (moto_server)', async () => {
    const port = await freePort();
    const moto: ChildProcess = spawn('moto_server', ['-p', String(port)], { stdio: 'ignore' });
    const endpoint = `http://127.0.0.1:${port}`;
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY, region: process.env.AWS_REGION };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
    const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true });
    try {
      await waitFor(async () => (await fetch(endpoint).catch(() => null))?.ok ?? false, 15_000, 'moto_server to start');
      await s3.send(new CreateBucketCommand({ Bucket: 'updraft-xcom' }));
      const base = await apiServer({
        UPDRAFT__CORE__XCOM_OBJECTSTORAGE_THRESHOLD: '100',
        UPDRAFT__CORE__XCOM_OBJECTSTORAGE_PATH: 's3://updraft-xcom/team-a/xcom',
        UPDRAFT__CORE__XCOM_OBJECTSTORAGE_ENDPOINT_URL: endpoint,
      });
      const task = await taskInstance('to_s3');
      assert.equal((await push(base, task.token, 'to_s3', 'report', bigValue('s3'))).status, 201);
      const [row] = await rows('to_s3');
      assert.equal(row.value, null);
      assert.match(row.value_ref as string, /^s3:\/\/updraft-xcom\/team-a\/xcom\/dag_id=xcom_dag\/run_id=.+\/task_id=to_s3\/map_index=-1\/report\.[0-9a-f-]{36}\.json$/);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'updraft-xcom', Prefix: 'team-a/xcom/' }));
      assert.equal(listed.KeyCount, 1);
      const object = await s3.send(new GetObjectCommand({ Bucket: 'updraft-xcom', Key: listed.Contents?.[0].Key }));
      assert.deepEqual(JSON.parse(await object.Body?.transformToString() as string), bigValue('s3'));

      const pulled = await call(base, task.token, 'GET', `/execution/xcoms/${DAG}/${encodeURIComponent(RUN)}`);
      assert.deepEqual(pulled.body.find((x: { task_id: string }) => x.task_id === 'to_s3').value, bigValue('s3'));
      const entry = await call(base, userToken, 'GET', `/api/v2/dags/${DAG}/dagRuns/${encodeURIComponent(RUN)}/taskInstances/to_s3/xcomEntries/report?stringify=true`);
      assert.deepEqual(JSON.parse(entry.body.value), bigValue('s3'));

      assert.equal((await call(base, task.token, 'PATCH', `/execution/task-instances/${task.id}/run`, JSON.stringify({ hostname: 'h', pid: 1 }))).status, 200);
      assert.deepEqual(await rows('to_s3'), []);
      assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: 'updraft-xcom', Prefix: 'team-a/xcom/' }))).KeyCount, 0, 'the object is deleted with its row');
    } finally {
      s3.destroy();
      moto.kill();
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.key], ['AWS_REGION', saved.region]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

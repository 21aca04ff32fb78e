/**
 * Connections: Airflow's URI and JSON forms both ways, the REST API (passwords
 * and sensitive extras masked, PATCH keeping masked secrets, the connection
 * test against the real embedded PostgreSQL), AIRFLOW_CONN_/UPDRAFT_CONN_
 * precedence in the Execution API, and the CLI as a user runs it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../src/api/app.ts';
import { connectionToJson, connectionToUri, emptyConnection, parseConnectionJson, parseConnectionText, parseConnectionUri, type ConnectionFields } from '../src/connections/uri.ts';
import { jwtSecret } from '../src/security/secret.ts';
import { signToken } from '../src/security/tokens.ts';
import { startStandalone, testConfig, type TestStandalone } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');

const conn = (fields: Partial<ConnectionFields> & { conn_type: string }): ConnectionFields => ({ ...emptyConnection(fields.conn_type), ...fields });

describe('connection URI and JSON forms', () => {
  // uri → fields, and fields → the same uri (Airflow's get_uri)
  const table: [string, ConnectionFields][] = [
    ['postgres://user:pass@db.example.com:5432/sales', conn({ conn_type: 'postgres', login: 'user', password: 'pass', host: 'db.example.com', port: 5432, schema: 'sales' })],
    [
      'mysql://login:p%40ss%3Aw%2Frd@host:3306/db?charset=utf8&ssl_mode=REQUIRED',
      conn({ conn_type: 'mysql', login: 'login', password: 'p@ss:w/rd', host: 'host', port: 3306, schema: 'db', extra: '{"charset":"utf8","ssl_mode":"REQUIRED"}' }),
    ],
    ['google-cloud-platform://?project=p1', conn({ conn_type: 'google_cloud_platform', extra: '{"project":"p1"}' })],
    ['aws://AKIA:secret%2Bkey@/?region_name=eu-west-1', conn({ conn_type: 'aws', login: 'AKIA', password: 'secret+key', extra: '{"region_name":"eu-west-1"}' })],
    [
      'http://https%3A%2F%2Fapi.example.com/?__extra__=%7B%22timeout%22%3A+30%2C+%22verify%22%3A+false%7D',
      conn({ conn_type: 'http', host: 'https://api.example.com', extra: '{"timeout": 30, "verify": false}' }),
    ],
    ['fs://?path=%2Ftmp%2Fdata', conn({ conn_type: 'fs', extra: '{"path":"/tmp/data"}' })],
    ['sqlite://%2Ftmp%2FMyDb.db', conn({ conn_type: 'sqlite', host: '/tmp/MyDb.db' })],
    ['redis://@:6379', conn({ conn_type: 'redis', port: 6379 })],
    ['ssh://user%20name@host/?key_file=%2Fhome%2Fu%2F.ssh%2Fid+rsa', conn({ conn_type: 'ssh', login: 'user name', host: 'host', extra: '{"key_file":"/home/u/.ssh/id rsa"}' })],
  ];
  for (const [uri, fields] of table) {
    test(uri, () => {
      assert.deepEqual(parseConnectionUri(uri), fields);
      assert.deepEqual(parseConnectionUri(connectionToUri(fields)), fields, 'formatting then parsing gives the same connection');
    });
  }

  test('Airflow spellings: postgresql:// is postgres, a host with its own protocol, host case as urlsplit gives it', () => {
    assert.equal(parseConnectionUri('postgresql://u:p@h/db').conn_type, 'postgres');
    assert.equal(parseConnectionUri('http://https://Example.COM:8443/v1').host, 'https://example.com');
    assert.equal(parseConnectionUri('http://https://Example.COM:8443/v1').port, 8443);
    assert.equal(connectionToUri(conn({ conn_type: 'google_cloud_platform', host: 'h' })), 'google-cloud-platform://h');
  });

  test('bad URIs are refused with the password hidden', () => {
    assert.throws(() => parseConnectionUri('not a uri'), /Invalid connection URI/);
    assert.throws(() => parseConnectionUri('postgres://u:topsecret@host:notaport/db'), (err: Error) => /Invalid port 'notaport'/.test(err.message) && !err.message.includes('topsecret'));
  });

  test('JSON form: extra as object or text, port as number or digits, unknown fields refused', () => {
    const fromJson = parseConnectionJson('{"conn_type": "postgres", "host": "h", "port": "5433", "login": "u", "password": "p", "extra": {"sslmode": "require"}}');
    assert.deepEqual(fromJson, conn({ conn_type: 'postgres', host: 'h', port: 5433, login: 'u', password: 'p', extra: '{"sslmode":"require"}' }));
    assert.deepEqual(connectionToJson(fromJson), { conn_type: 'postgres', host: 'h', port: 5433, login: 'u', password: 'p', extra: { sslmode: 'require' } });
    assert.deepEqual(parseConnectionJson(JSON.stringify(connectionToJson(fromJson))), fromJson, 'round trip');
    assert.throws(() => parseConnectionJson('{"conn_type": "x", "hots": "typo"}'), /Unknown connection field\(s\) hots/);
    assert.throws(() => parseConnectionJson('{"host": "h"}'), /conn_type is required/);
    assert.equal(parseConnectionText('  {"conn_type": "http", "host": "h"}').host, 'h');
    assert.equal(parseConnectionText('http://h').host, 'h');
  });
});

describe('connections through the API, the Execution API and the CLI', () => {
  let s: TestStandalone;
  let taskToken: string;
  const execution = async (url: string) => {
    const res = await fetch(`${s.url}${url}`, { headers: { authorization: `Bearer ${taskToken}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const updraft = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, UPDRAFT_HOME: s.config.home, ...env }, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    s = await startStandalone({ UPDRAFT__CORE__TEST_CONNECTION: 'Enabled' }, { apiServer: true });
    taskToken = await signToken(jwtSecret(s.config), { kind: 'task', sub: randomUUID(), dag_id: 'd', run_id: 'r', task_id: 't', map_index: -1, try_number: 1 }, 300);
  });
  after(async () => {
    await s?.close();
  });

  test('create, read, patch and delete with *** for the password and sensitive extras', async () => {
    const body = {
      connection_id: 'warehouse',
      conn_type: 'postgres',
      host: 'db.internal',
      login: 'etl',
      password: 'pg-secret-1',
      port: 5432,
      schema: 'dw',
      extra: JSON.stringify({ sslmode: 'require', private_key: 'KEYDATA', nested: { api_key: 'AK' } }),
    };
    const created = await s.api('POST', '/api/v2/connections', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.password, '***');
    assert.deepEqual(JSON.parse(created.body.extra), { sslmode: 'require', private_key: '***', nested: { api_key: '***' } });
    assert.equal((await s.api('POST', '/api/v2/connections', body)).status, 409);
    assert.equal((await s.api('POST', '/api/v2/connections', { ...body, connection_id: 'bad id!' })).status, 422);
    assert.equal((await s.api('POST', '/api/v2/connections', { ...body, connection_id: 'x', extra: 'not json' })).status, 422);

    const got = await s.api('GET', '/api/v2/connections/warehouse');
    assert.equal(got.status, 200);
    assert.equal(got.body.password, '***');
    assert.equal(got.body.connection_id, 'warehouse');
    assert.equal(got.body.port, 5432);
    assert.ok(!JSON.stringify(got.body).includes('pg-secret-1') && !JSON.stringify(got.body).includes('KEYDATA'));
    assert.equal((await s.api('GET', '/api/v2/connections/nope')).status, 404);

    // the form sends back what it was shown: *** must not replace the stored secrets
    const patched = await s.api('PATCH', '/api/v2/connections/warehouse', { ...got.body, host: 'db2.internal' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.host, 'db2.internal');
    const inTask = await execution('/execution/connections/warehouse');
    assert.equal(inTask.body.password, 'pg-secret-1');
    assert.deepEqual(inTask.body.extra_dejson, { sslmode: 'require', private_key: 'KEYDATA', nested: { api_key: 'AK' } });
    assert.equal(inTask.body.host, 'db2.internal');

    // update_mask: only the listed fields change
    const masked = await s.api('PATCH', '/api/v2/connections/warehouse?update_mask=password', { connection_id: 'warehouse', conn_type: 'mysql', password: 'pg-secret-2' });
    assert.equal(masked.body.conn_type, 'postgres');
    assert.equal((await execution('/execution/connections/warehouse')).body.password, 'pg-secret-2');
    assert.equal((await s.api('PATCH', '/api/v2/connections/warehouse', { connection_id: 'other', conn_type: 'x' })).status, 400);
    assert.equal((await s.api('PATCH', '/api/v2/connections/warehouse?update_mask=colour', { connection_id: 'warehouse', conn_type: 'x' })).status, 400);

    // secrets are encrypted at rest
    const row = await s.db.pool.query('SELECT password, extra, is_encrypted, is_extra_encrypted FROM connection WHERE conn_id = $1', ['warehouse']);
    assert.match(row.rows[0].password, /^enc:v1:/);
    assert.ok(!row.rows[0].password.includes('pg-secret') && !row.rows[0].extra.includes('KEYDATA'));
    assert.equal(row.rows[0].is_encrypted, true);
    assert.equal(row.rows[0].is_extra_encrypted, true);

    const list = await s.api('GET', '/api/v2/connections?connection_id_pattern=ware%25&order_by=-connection_id');
    assert.equal(list.body.total_entries, 1);
    assert.equal(list.body.connections[0].password, '***');

    assert.equal((await s.api('DELETE', '/api/v2/connections/warehouse')).status, 204);
    assert.equal((await s.api('DELETE', '/api/v2/connections/warehouse')).status, 404);
    const events = await s.db.pool.query<{ event: string; extra: string }>("SELECT event, extra FROM log WHERE event LIKE '%connection%' ORDER BY id");
    assert.deepEqual(events.rows.map((e) => e.event), ['post_connection', 'patch_connection', 'patch_connection', 'delete_connection']);
    assert.ok(events.rows.every((e) => !e.extra.includes('pg-secret')));
  });

  test('bulk actions report each action, and a failing action changes nothing of its own', async () => {
    const c = (id: string, extra: Record<string, unknown> = {}) => ({ connection_id: id, conn_type: 'http', host: `${id}.example.com`, ...extra });
    await s.api('POST', '/api/v2/connections', c('bulk_existing'));
    const r = await s.api('PATCH', '/api/v2/connections', {
      actions: [
        { action: 'create', entities: [c('bulk_new_1'), c('bulk_existing')] },
        { action: 'create', entities: [c('bulk_new_2'), c('bulk_existing', { host: 'replaced' })], action_on_existence: 'overwrite' },
        { action: 'update', entities: [c('bulk_new_2', { login: 'bob' })], update_mask: ['login'] },
        { action: 'delete', entities: ['bulk_existing', 'bulk_missing'], action_on_non_existence: 'skip' },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.create.success, ['bulk_new_2', 'bulk_existing']);
    assert.equal(r.body.create.errors.length, 1);
    assert.equal(r.body.create.errors[0].status_code, 409);
    assert.deepEqual(r.body.update, { success: ['bulk_new_2'], errors: [] });
    assert.deepEqual(r.body.delete, { success: ['bulk_existing'], errors: [] });
    const ids = (await s.db.pool.query<{ conn_id: string; login: string | null }>("SELECT conn_id, login FROM connection WHERE conn_id LIKE 'bulk%' ORDER BY conn_id")).rows;
    assert.deepEqual(ids, [{ conn_id: 'bulk_new_2', login: 'bob' }], 'bulk_new_1 was not created: its action failed as a whole');
  });

  test('the connection test reaches the real PostgreSQL, an HTTP server and a folder; other types say they cannot be tested', async () => {
    const db = new URL(s.db.url);
    const pgBody = { connection_id: 'embedded', conn_type: 'postgres', host: db.hostname, port: Number(db.port), login: decodeURIComponent(db.username), password: decodeURIComponent(db.password), schema: db.pathname.slice(1) };
    assert.deepEqual((await s.api('POST', '/api/v2/connections/test', pgBody)).body, { status: true, message: 'Connection successfully tested' });
    const wrong = await s.api('POST', '/api/v2/connections/test', { ...pgBody, password: 'wrong' });
    assert.equal(wrong.body.status, false);
    assert.match(wrong.body.message, /password authentication failed/);

    // a stored connection tested from a form that shows ***: the stored password is used
    assert.equal((await s.api('POST', '/api/v2/connections', pgBody)).status, 201);
    assert.equal((await s.api('POST', '/api/v2/connections/test', { ...pgBody, password: '***' })).body.status, true);

    const api = new URL(s.url);
    const http = await s.api('POST', '/api/v2/connections/test', { connection_id: 'self', conn_type: 'http', host: api.hostname, port: Number(api.port) });
    assert.deepEqual(http.body, { status: true, message: 'Connection successfully tested' });
    // under /api a missing page is a 404 (elsewhere the web UI answers every path)
    const notFound = await s.api('POST', '/api/v2/connections/test', { connection_id: 'self', conn_type: 'http', host: `${api.hostname}:${api.port}/api/v2/no/such/page` });
    assert.equal(notFound.body.status, false);

    assert.equal((await s.api('POST', '/api/v2/connections/test', { connection_id: 'f', conn_type: 'fs', extra: JSON.stringify({ path: s.config.home }) })).body.status, true);
    assert.deepEqual((await s.api('POST', '/api/v2/connections/test', { connection_id: 'f', conn_type: 'fs', extra: '{"path": "/no/such/dir"}' })).body, { status: false, message: 'Path /no/such/dir does not exist' });
    const other = await s.api('POST', '/api/v2/connections/test', { connection_id: 'o', conn_type: 'snowflake' });
    assert.equal(other.body.status, false);
    assert.match(other.body.message, /cannot test connections of type 'snowflake'/);
  });

  test('the connection test is refused when [core] test_connection is not Enabled (Airflow\'s default)', async () => {
    const app = buildApp({ pool: s.db.pool, config: testConfig(s.config.home, { UPDRAFT__CORE__TEST_CONNECTION: 'Disabled' }), secret: jwtSecret(s.config) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v2/connections/test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ connection_id: 'x', conn_type: 'http', host: 'example.com' }),
      });
      assert.equal(res.status, 403);
      assert.match(((await res.json()) as { detail: string }).detail, /test_connection/);
    } finally {
      await app.close();
    }
  });

  test('UPDRAFT_CONN_ and AIRFLOW_CONN_ environment variables (URI or JSON) win over the database for tasks', async () => {
    await s.api('POST', '/api/v2/connections', { connection_id: 'shadowed', conn_type: 'http', host: 'from-db' });
    assert.equal((await execution('/execution/connections/shadowed')).body.host, 'from-db');
    process.env.AIRFLOW_CONN_SHADOWED = 'postgres://a:b%40c@from-airflow-env:6543/x?sslmode=disable';
    try {
      const fromUri = await execution('/execution/connections/shadowed');
      assert.deepEqual(
        { ...fromUri.body },
        { conn_id: 'shadowed', conn_type: 'postgres', description: null, host: 'from-airflow-env', schema: 'x', login: 'a', password: 'b@c', port: 6543, extra: '{"sslmode":"disable"}', extra_dejson: { sslmode: 'disable' } },
      );
      process.env.UPDRAFT_CONN_SHADOWED = JSON.stringify({ conn_type: 'aws', login: 'AK', password: 'SK', extra: { region_name: 'eu-west-1' } });
      const fromJson = await execution('/execution/connections/shadowed');
      assert.equal(fromJson.body.conn_type, 'aws');
      assert.equal(fromJson.body.password, 'SK');
      assert.deepEqual(fromJson.body.extra_dejson, { region_name: 'eu-west-1' });
      process.env.UPDRAFT_CONN_ONLY_IN_ENV = 'not a connection';
      const bad = await execution('/execution/connections/only_in_env');
      assert.equal(bad.status, 500);
      assert.match(bad.body.detail, /UPDRAFT_CONN_ONLY_IN_ENV is not a connection URI or JSON/);
    } finally {
      delete process.env.AIRFLOW_CONN_SHADOWED;
      delete process.env.UPDRAFT_CONN_SHADOWED;
      delete process.env.UPDRAFT_CONN_ONLY_IN_ENV;
    }
    assert.equal((await execution('/execution/connections/shadowed')).body.host, 'from-db');
    assert.equal((await execution('/execution/connections/never_defined')).status, 404);
  });

  test('CLI: add from a URI, JSON or fields; get, list, export, import and delete; passwords shown as ***', () => {
    const uri = updraft(['connections', 'add', 'cli_pg', '--conn-uri', 'postgresql://etl:s3cr%3At@db.example.com:5432/sales?sslmode=require']);
    assert.equal(uri.code, 0, uri.stderr);
    assert.equal(uri.stdout.trim(), 'Successfully added `conn_id`=cli_pg : postgres://etl:***@db.example.com:5432/sales?sslmode=require');
    assert.equal(updraft(['connections', 'add', 'cli_aws', '--conn-json', '{"conn_type": "aws", "login": "AK", "password": "aws-secret", "extra": {"region_name": "us-east-1"}}']).code, 0);
    const fields = updraft(['connections', 'add', 'cli_http', '--conn-type', 'http', '--conn-host', 'api.example.com', '--conn-login', 'bob', '--conn-password', 'http-secret', '--conn-extra', '{"token": "T0K"}']);
    assert.equal(fields.code, 0, fields.stderr);
    assert.ok(!fields.stdout.includes('http-secret') && !fields.stdout.includes('T0K'), fields.stdout);

    const again = updraft(['connections', 'add', 'cli_pg', '--conn-type', 'postgres']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /A connection with `conn_id`=cli_pg already exists/);
    assert.match(updraft(['connections', 'add', 'x', '--conn-host', 'h']).stderr, /Give --conn-uri, --conn-json, or --conn-type/);
    assert.match(updraft(['connections', 'add', 'x', '--conn-uri', 'http://h', '--conn-json', '{}']).stderr, /either --conn-uri or --conn-json/);
    assert.match(updraft(['connections', 'add', 'x', '--conn-type', 'http', '--conn-extra', '[1]']).stderr, /extra must be a JSON object/);

    const got = updraft(['connections', 'get', 'cli_pg', '-o', 'json']);
    assert.equal(got.code, 0, got.stderr);
    const shown = JSON.parse(got.stdout)[0];
    assert.equal(shown.password, '***');
    assert.equal(shown.get_uri, 'postgres://etl:***@db.example.com:5432/sales?sslmode=require');
    assert.deepEqual(JSON.parse(shown.as_json), { conn_type: 'postgres', host: 'db.example.com', schema: 'sales', login: 'etl', password: '***', port: 5432, extra: { sslmode: 'require' } });
    const fromEnv = updraft(['connections', 'get', 'cli_pg', '-o', 'json'], { AIRFLOW_CONN_CLI_PG: 'http://env-host' });
    assert.equal(JSON.parse(fromEnv.stdout)[0].host, 'env-host');

    const list = updraft(['connections', 'list', '-o', 'json']);
    const byId = Object.fromEntries(JSON.parse(list.stdout).map((c: { conn_id: string }) => [c.conn_id, c]));
    assert.equal(byId.cli_http.password, '***');
    assert.deepEqual(byId.cli_http.extra_dejson, { token: '***' });
    assert.ok(!list.stdout.includes('secret'), list.stdout);
    assert.match(updraft(['connections', 'list']).stdout, /cli_aws +\| aws/);

    // export holds the secrets so that import restores them
    const file = path.join(s.config.home, 'connections.json');
    assert.equal(updraft(['connections', 'export', file]).code, 0);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(exported.cli_pg, { conn_type: 'postgres', description: null, login: 'etl', password: 's3cr:t', host: 'db.example.com', port: 5432, schema: 'sales', extra: '{"sslmode":"require"}' });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);

    for (const id of ['cli_pg', 'cli_aws', 'cli_http']) assert.equal(updraft(['connections', 'delete', id]).code, 0);
    const gone = updraft(['connections', 'delete', 'cli_pg']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Did not find a connection with `conn_id`=cli_pg/);

    // a file with one bad entry imports nothing
    const before = JSON.stringify(JSON.parse(updraft(['connections', 'list', '-o', 'json']).stdout));
    const bad = path.join(s.config.home, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...exported, broken: { conn_type: 'http', port: 'eighty' } }));
    const refused = updraft(['connections', 'import', bad]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Invalid connection 'broken'.*port must be an integer.*nothing was imported/);
    assert.equal(JSON.stringify(JSON.parse(updraft(['connections', 'list', '-o', 'json']).stdout)), before);

    // entries as objects or URIs; existing ones are skipped unless --overwrite
    fs.writeFileSync(bad, JSON.stringify({ ...exported, as_uri: 'http://u:pw@h.example.com:8080' }));
    const imported = updraft(['connections', 'import', bad]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /Imported connection as_uri/);
    assert.equal(updraft(['connections', 'import', bad]).stdout.match(/already exists/g)?.length, Object.keys(exported).length + 1);
    assert.equal(updraft(['connections', 'export', file]).code, 0);
    const reexported = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(reexported.cli_pg, exported.cli_pg);
    assert.deepEqual(reexported.cli_aws, exported.cli_aws);
    assert.equal(reexported.as_uri.password, 'pw');
  });
});

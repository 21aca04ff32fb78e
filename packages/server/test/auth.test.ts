/**
 * Authentication and authorization: tokens (normal and CLI), roles enforced
 * on every mutating operation the server implements (the matrix below),
 * refused calls changing nothing, users and roles endpoints, rate-limited
 * failed logins, tokens that stop working when their user is deleted or
 * changes password, expired and forged tokens, /openapi.json and /docs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDecoder, createSigner } from 'fast-jwt';
import { signToken } from '../src/security/tokens.ts';
import { upsertUser } from '../src/db/sql/users.ts';
import { jwtSecret } from '../src/security/secret.ts';
import { Contract, ContractClient, dbSnapshot } from './api-contract.ts';
import { ADMIN_PASSWORD, startStandalone, type TestStandalone } from './helpers.ts';

let s: TestStandalone;
let admin: ContractClient;
const tokens: Record<string, string> = {};
const PASSWORD = 'a-long-password';

async function login(username: string, password: string, path = '/auth/token') {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return { status: res.status, body: (await res.json()) as { access_token?: string; detail?: unknown }, headers: res.headers };
}

before(async () => {
  s = await startStandalone({ UPDRAFT__API_AUTH__LOGIN_MAX_FAILURES: '3', UPDRAFT__API_AUTH__JWT_CLI_EXPIRATION_TIME: '7200', UPDRAFT__CORE__TEST_CONNECTION: 'Enabled' });
  admin = new ContractClient(await Contract.load(), s.url, s.token);
  for (const role of ['Viewer', 'User', 'Op', 'Admin']) {
    const created = await admin.raw('POST', '/auth/fab/v1/users', { username: `${role.toLowerCase()}1`, password: PASSWORD, roles: [{ name: role }], email: `${role}@example.com` });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const t = await login(`${role.toLowerCase()}1`, PASSWORD);
    assert.equal(t.status, 201);
    tokens[role] = t.body.access_token as string;
  }
});
after(async () => {
  await s?.close();
});

const snapshot = () => dbSnapshot(s.db.pool);

/**
 * The least role of each mutating operation, as the issue states them: User
 * triggers, clears, marks and edits runs and DAGs; Op manages Variables,
 * Connections and Pools; Admin manages users; favourites are personal. Every mutating operation the
 * server lists in /openapi.json must appear here.
 */
const NEEDS: Record<string, 'Viewer' | 'User' | 'Op' | 'Admin'> = {
  // a personal mark, for anyone who reads the DAG
  favorite_dag: 'Viewer',
  unfavorite_dag: 'Viewer',
  delete_dag: 'User',
  patch_dag: 'User',
  patch_dags: 'User',
  trigger_dag_run: 'User',
  patch_dag_run: 'User',
  delete_dag_run: 'User',
  clear_dag_run: 'User',
  post_clear_task_instances: 'User',
  patch_task_instance: 'User',
  patch_task_instance_by_map_index: 'User',
  patch_task_instance_dry_run: 'User',
  patch_task_instance_dry_run_by_map_index: 'User',
  create_xcom_entry: 'User',
  create_backfill: 'User',
  create_backfill_dry_run: 'User',
  pause_backfill: 'User',
  unpause_backfill: 'User',
  cancel_backfill: 'User',
  create_asset_event: 'User',
  delete_dag_asset_queued_events: 'User',
  update_xcom_entry: 'User',
  delete_xcom_entry: 'User',
  post_variable: 'Op',
  patch_variable: 'Op',
  delete_variable: 'Op',
  bulk_variables: 'Op',
  post_connection: 'Op',
  patch_connection: 'Op',
  delete_connection: 'Op',
  bulk_connections: 'Op',
  test_connection: 'Op',
  create_default_connections: 'Op',
  post_pool: 'Op',
  patch_pool: 'Op',
  delete_pool: 'Op',
  bulk_pools: 'Op',
};
const RANK = ['Viewer', 'User', 'Op', 'Admin'];

describe('authorization matrix', () => {
  test('each role × each mutating operation: allowed (any answer but 403) or 403 and the database unchanged', async () => {
    const doc = (await admin.raw('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string }>> };
    const mutating: { method: string; path: string; operationId: string }[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        // the batch lists are reads sent as POST
        if (method !== 'get' && !op.operationId.startsWith('get_')) mutating.push({ method: method.toUpperCase(), path: p, operationId: op.operationId });
      }
    }
    const unclassified = mutating.filter((m) => !NEEDS[m.operationId]).map((m) => m.operationId);
    assert.deepEqual(unclassified, [], 'every mutating operation has an expected role');
    assert.ok(mutating.length >= 25, `found ${mutating.length} mutating operations`);
    // users endpoints (FAB API, not in the Airflow spec)
    mutating.push({ method: 'POST', path: '/auth/fab/v1/users', operationId: 'post_user' }, { method: 'PATCH', path: '/auth/fab/v1/users/{username}', operationId: 'patch_user' }, { method: 'DELETE', path: '/auth/fab/v1/users/{username}', operationId: 'delete_user' });
    const needs = (op: string) => NEEDS[op] ?? 'Admin';

    const outcomes: string[] = [];
    for (const role of RANK) {
      const client = admin.withToken(tokens[role]);
      for (const m of mutating) {
        // ids that do not exist: an allowed call fails further on (404/422…) and changes nothing either
        const url = m.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'map_index' || name === 'try_number' ? '7' : 'no-such-id')).replace('/dags/no-such-id/dagRuns/list', '/dags/~/dagRuns/list');
        const query = m.operationId === 'patch_dags' ? '?dag_id_pattern=no-such-dag' : '';
        const allowed = RANK.indexOf(role) >= RANK.indexOf(needs(m.operationId));
        const before = allowed ? null : await snapshot();
        const res = await client.raw(m.method, url + query, {}, {});
        outcomes.push(`${role} ${m.operationId} ${res.status}`);
        if (allowed) assert.notEqual(res.status, 403, `${role} may ${m.operationId}: ${JSON.stringify(res.body)}`);
        else {
          assert.equal(res.status, 403, `${role} may not ${m.operationId} (${m.method} ${url}): ${JSON.stringify(res.body)}`);
          assert.match(JSON.stringify(res.body), /needs the (User|Op|Admin) role/);
          assert.deepEqual(await snapshot(), before, `the refused ${m.operationId} of ${role} changed nothing`);
        }
      }
    }
    assert.ok(outcomes.length >= 4 * 30);
  });

  test('a Viewer reads DAGs, runs and the audit log but not Variables, Connections or the configuration', async () => {
    const viewer = admin.withToken(tokens.Viewer);
    await viewer.expect(200, 'GET', '/api/v2/dags');
    await viewer.expect(200, 'GET', '/api/v2/eventLogs');
    await viewer.expect(200, 'GET', '/api/v2/pools');
    await viewer.expect(200, 'POST', '/api/v2/dags/~/dagRuns/list', {});
    await viewer.expect(403, 'GET', '/api/v2/variables');
    await viewer.expect(403, 'GET', '/api/v2/connections');
    await viewer.expect(403, 'GET', '/api/v2/config');
    assert.equal((await viewer.raw('GET', '/auth/fab/v1/users')).status, 403);
    await admin.withToken(tokens.Op).expect(200, 'GET', '/api/v2/variables');
  });

  test('an Op creates a pool; a User may not, and the pool table is unchanged', async () => {
    const before = await snapshot();
    await admin.withToken(tokens.User).expect(403, 'POST', '/api/v2/pools', { name: 'user_pool', slots: 1 });
    assert.deepEqual(await snapshot(), before);
    await admin.withToken(tokens.Op).expect(201, 'POST', '/api/v2/pools', { name: 'op_pool', slots: 1 });
    const log = await s.db.pool.query("SELECT owner FROM log WHERE event = 'post_pool'");
    assert.deepEqual(log.rows, [{ owner: 'op1' }]);
  });
});

describe('users and roles', () => {
  test('the users endpoints create, list, change and delete users; roles are listed', async () => {
    const list = await admin.raw('GET', '/auth/fab/v1/users');
    assert.deepEqual(list.body.users.map((u: { username: string }) => u.username), ['admin', 'admin1', 'op1', 'user1', 'viewer1']);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/users', { username: 'viewer1', password: PASSWORD })).status, 409);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/users', { username: 'x', password: 'short' })).status, 400);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/users', { username: 'x', password: PASSWORD, roles: [{ name: 'Boss' }] })).status, 400);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/users', { username: '../etc', password: PASSWORD })).status, 400);
    const changed = await admin.raw('PATCH', '/auth/fab/v1/users/viewer1?update_mask=roles', { roles: [{ name: 'Viewer' }, { name: 'User' }], email: 'ignored@example.com' });
    assert.deepEqual(changed.body.roles, [{ name: 'Viewer' }, { name: 'User' }]);
    assert.equal(changed.body.email, 'Viewer@example.com');
    // the token of viewer1 acts with the roles as they are now
    await admin.withToken(tokens.Viewer).expect(404, 'POST', '/api/v2/dags/no-such-dag/dagRuns', {});
    await admin.raw('PATCH', '/auth/fab/v1/users/viewer1', { roles: [{ name: 'Viewer' }] });
    await admin.withToken(tokens.Viewer).expect(403, 'POST', '/api/v2/dags/no-such-dag/dagRuns', {});
    const roles = await admin.raw('GET', '/auth/fab/v1/roles');
    assert.deepEqual(roles.body.roles.map((r: { name: string }) => r.name), ['Admin', 'Op', 'User', 'Viewer']);
    assert.equal((await admin.raw('GET', '/auth/fab/v1/roles/Nope')).status, 404);
    assert.equal((await admin.raw('DELETE', '/auth/fab/v1/users/admin')).status, 400, 'nobody deletes their own account');
  });

  test('a deleted user\'s token stops working, and so does one issued before a password change', async () => {
    assert.equal((await admin.raw('POST', '/auth/fab/v1/users', { username: 'temp', password: PASSWORD, roles: [{ name: 'User' }] })).status, 200);
    const t = (await login('temp', PASSWORD)).body.access_token as string;
    await admin.withToken(t).expect(200, 'GET', '/api/v2/dags');
    assert.equal((await admin.raw('DELETE', '/auth/fab/v1/users/temp')).status, 204);
    const gone = await admin.withToken(t).call('GET', '/api/v2/dags');
    assert.equal(gone.status, 401);
    assert.match(gone.body.detail, /no longer exists/);
    // re-created under the same name: still not the same user
    assert.equal((await admin.raw('POST', '/auth/fab/v1/users', { username: 'temp', password: PASSWORD, roles: [{ name: 'User' }] })).status, 200);
    assert.equal((await admin.withToken(t).call('GET', '/api/v2/dags')).status, 401);

    const fresh = (await login('temp', PASSWORD)).body.access_token as string;
    await new Promise((r) => setTimeout(r, 1100)); // token times are in whole seconds
    assert.equal((await admin.raw('PATCH', '/auth/fab/v1/users/temp', { password: 'another-long-password' })).status, 200);
    assert.equal((await admin.withToken(fresh).call('GET', '/api/v2/dags')).status, 401);
    assert.equal((await login('temp', 'another-long-password')).status, 201);
  });
});

const decodeJwt = createDecoder() as (token: string) => Record<string, unknown>;

describe('tokens', () => {
  test('/auth/token/cli issues a longer-lived token ([api_auth] jwt_cli_expiration_time)', async () => {
    const normal = decodeJwt((await login('user1', PASSWORD)).body.access_token as string);
    const cli = await login('user1', PASSWORD, '/auth/token/cli');
    assert.equal(cli.status, 201);
    const claims = decodeJwt(cli.body.access_token as string);
    assert.equal((claims.exp as number) - (claims.iat as number), 7200);
    assert.equal((normal.exp as number) - (normal.iat as number), s.config.int('api_auth', 'jwt_expiration_time'));
    await admin.withToken(cli.body.access_token as string).expect(200, 'GET', '/api/v2/dags');
  });

  test('expired, forged, unsigned and task tokens are refused with 401/403 and change nothing', async () => {
    const before = await snapshot();
    const secret = jwtSecret(s.config);
    const expired = await signToken(secret, { kind: 'user', sub: 'admin', role: 'Admin' }, -10);
    const forged = await signToken(new TextEncoder().encode('not the secret'), { kind: 'user', sub: 'admin', role: 'Admin' }, 600);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ kind: 'user', sub: 'admin', role: 'Admin', iss: 'updraft', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.`;
    const otherAlg = createSigner({ key: Buffer.from(secret), algorithm: 'HS512', iss: 'updraft', expiresIn: 600_000 })({ kind: 'user', sub: 'admin', role: 'Admin' });
    for (const token of [expired, forged, unsigned, otherAlg, 'garbage']) {
      const r = await admin.withToken(token).call('POST', '/api/v2/pools', { name: 'sneaky', slots: 1 });
      assert.equal(r.status, 401, token);
      assert.match(r.body.detail, /Invalid or expired token/);
    }
    const task = await signToken(secret, { kind: 'task', sub: '00000000-0000-0000-0000-000000000000', dag_id: 'd', run_id: 'r', task_id: 't', map_index: -1, try_number: 1 }, 600);
    assert.equal((await admin.withToken(task).call('POST', '/api/v2/pools', { name: 'sneaky', slots: 1 })).status, 403);
    assert.deepEqual(await snapshot(), before);
  });

  test('repeated failed logins are rate limited per user name; other users still log in', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await login('op1', 'wrong-password')).status, 401);
    const locked = await login('op1', PASSWORD);
    assert.equal(locked.status, 429);
    assert.match(String(locked.body.detail), /Too many failed logins/);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.equal((await login('user1', PASSWORD)).status, 201);
    assert.equal((await login('nobody', 'x')).status, 401);
    const audit = await s.db.pool.query("SELECT count(*)::int AS n FROM log WHERE event = 'login_failed' AND owner = 'op1'");
    assert.equal(audit.rows[0].n, 3);
  });

  test('a malformed login body is a 422 with a message', async () => {
    assert.equal((await fetch(`${s.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": 1}' })).status, 422);
    assert.equal((await fetch(`${s.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": ' })).status, 400);
    assert.equal((await login('admin', ADMIN_PASSWORD)).status, 201);
  });
});

describe('documents', () => {
  test('/openapi.json lists the implemented operations and validates as the contract; /docs renders it without outside assets', async () => {
    const doc = await admin.raw('GET', '/openapi.json', undefined, { authorization: '' });
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(doc.body.paths['/api/v2/pools']?.get, 'pools listed');
    assert.ok(doc.body.paths['/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}']?.patch, 'dag run patch listed');
    assert.equal(doc.body.paths['/api/v2/assets/aliases'], undefined, 'asset aliases are not implemented, so not listed');
    const docs = await fetch(`${s.url}/docs`);
    assert.equal(docs.status, 200);
    const html = await docs.text();
    assert.match(html, /Updraft REST API/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href="http/);
  });

  test('config is refused with a message when [api] expose_config is off (the default)', async () => {
    const r = await admin.call('GET', '/api/v2/config');
    assert.equal(r.status, 403);
    assert.match(r.body.detail, /expose_config/);
    assert.equal((await admin.call('GET', '/api/v2/config/section/core/option/parallelism')).status, 403);
  });
});

describe('restarts', () => {
  test('a standalone restarted with the same $UPDRAFT_ADMIN_PASSWORD keeps the admin tokens working; a new password ends them', async () => {
    await upsertUser(s.db.pool, 'admin', ADMIN_PASSWORD);
    await admin.expect(200, 'GET', '/api/v2/dags');
    await new Promise((r) => setTimeout(r, 1100));
    await upsertUser(s.db.pool, 'admin', 'a-new-admin-password');
    assert.equal((await admin.call('GET', '/api/v2/dags')).status, 401);
    assert.equal((await login('admin', 'a-new-admin-password')).status, 201);
  });
});

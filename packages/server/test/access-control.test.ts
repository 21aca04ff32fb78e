/**
 * Per-DAG access_control and custom roles: a user who holds only a custom
 * role sees and changes only the DAGs that grant it (lists and `~` included),
 * refused calls change nothing, global permissions (roles add-perms) widen
 * that, a role created after the DAG counts at once, built-in roles keep
 * their behaviour and cannot be deleted or changed; the roles endpoints and
 * the `updraft roles` commands, locally and against the api-server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { DAG_LIST_ROUTES } from '../src/security/permissions.ts';
import { Contract, ContractClient, dbSnapshot } from './api-contract.ts';
import { startStandalone, type TestStandalone, waitFor } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
const PASSWORD = 'a-long-password';

let s: TestStandalone;
let admin: ContractClient;
let alice: ContractClient;
let viewer: ContractClient;

const dagFile = (dagId: string, extra: string) =>
  `import { DAG, BashOperator } from '@updraft/sdk';
   export default new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2024-01-01', tags: ['tag_${dagId}'], is_paused_upon_creation: false${extra} }, () => {
     new BashOperator({ task_id: 'hello', bash_command: 'echo hello' });
   });`;

/** Everything a refused call could change, roles included. */
async function snapshot() {
  const q = async (sql: string) => (await s.db.pool.query(sql)).rows;
  return { ...(await dbSnapshot(s.db.pool)), roles: await q('SELECT name, builtin FROM role ORDER BY name'), permissions: await q('SELECT * FROM role_permission ORDER BY 1, 2, 3') };
}

async function userClient(username: string, roles: string[]): Promise<ContractClient> {
  const created = await admin.raw('POST', '/auth/fab/v1/users', { username, password: PASSWORD, roles: roles.map((name) => ({ name })) });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const login = await admin.raw('POST', '/auth/token', { username, password: PASSWORD });
  return admin.withToken((login.body as { access_token: string }).access_token);
}

const dagIds = (body: { dags: { dag_id: string }[] }) => body.dags.map((d) => d.dag_id).sort();
const runDagIds = (body: { dag_runs: { dag_id: string }[] }) => [...new Set(body.dag_runs.map((r) => r.dag_id))].sort();

before(async () => {
  s = await startStandalone();
  admin = new ContractClient(await Contract.load(), s.url, s.token);
  s.writeDag('shared.ts', dagFile('shared', ", access_control: { team_a: ['can_read'], team_late: new Set(['can_read']) }"));
  s.writeDag('edited.ts', dagFile('edited', ", access_control: { team_a: ['can_read', 'can_edit'] }"));
  s.writeDag('private.ts', dagFile('private', ''));
  // the newer form: triggering without being able to read or pause the DAG
  s.writeDag('trigger_only.ts', dagFile('trigger_only', ", access_control: { team_a: { 'DAG Runs': ['can_create'] } }"));
  for (const id of ['shared', 'edited', 'private', 'trigger_only']) await s.waitForDag(id);
  for (const id of ['shared', 'edited', 'private']) await s.waitForRun(id, await s.trigger(id));

  const role = await admin.raw('POST', '/auth/fab/v1/roles', { name: 'team_a', actions: [] });
  assert.equal(role.status, 200, JSON.stringify(role.body));
  alice = await userClient('alice', ['team_a']);
  viewer = await userClient('vic', ['Viewer']);
});
after(async () => {
  await s?.close();
});

describe('DAG access_control', () => {
  test('is stored with the serialized DAG and in the dag table', async () => {
    const r = await s.db.pool.query("SELECT d.access_control, v.data -> 'access_control' AS serialized FROM dag d JOIN dag_version v ON v.id = d.latest_version_id WHERE d.dag_id = 'edited'");
    assert.deepEqual(r.rows[0].access_control, { team_a: { DAGs: ['can_edit', 'can_read'] } });
    assert.deepEqual(r.rows[0].serialized, r.rows[0].access_control);
    assert.equal((await s.db.pool.query("SELECT access_control FROM dag WHERE dag_id = 'private'")).rows[0].access_control, null);
  });

  test('every route said to narrow its list to visible DAGs is a registered route', () => {
    for (const entry of DAG_LIST_ROUTES) {
      const [method, url] = entry.split(' ');
      assert.ok(s.app?.hasRoute({ method: method as 'GET', url }), entry);
    }
  });

  test('a user with only a custom role lists only the DAGs it may read, and is refused the others with a message', async () => {
    assert.deepEqual(dagIds(await alice.expect(200, 'GET', '/api/v2/dags')), ['edited', 'shared']);
    assert.equal((await alice.expect(200, 'GET', '/api/v2/dags?dag_id_pattern=e')).total_entries, 2);
    await alice.expect(200, 'GET', '/api/v2/dags/shared');
    const refused = await alice.call('GET', '/api/v2/dags/private');
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /needs can_read on DAG 'private'.*user 'alice' has roles team_a/);
    assert.equal((await alice.call('GET', '/api/v2/dags/trigger_only')).status, 403, 'DAG Runs can_create alone does not read the DAG');
    assert.equal((await alice.call('GET', '/api/v2/dags/private/dagRuns')).status, 403);
    assert.equal((await alice.call('GET', '/api/v2/dagSources/private')).status, 403);
    assert.equal((await alice.raw('GET', '/ui/dags/private/grid')).status, 403);
    assert.equal((await alice.raw('GET', '/ui/dags/shared/grid')).status, 200);
  });

  test('lists across DAGs and `~` show only the readable DAGs', async () => {
    assert.deepEqual(runDagIds(await alice.expect(200, 'GET', '/api/v2/dags/~/dagRuns')), ['edited', 'shared']);
    assert.deepEqual(runDagIds(await admin.expect(200, 'GET', '/api/v2/dags/~/dagRuns')), ['edited', 'private', 'shared']);
    assert.deepEqual(runDagIds(await alice.expect(200, 'POST', '/api/v2/dags/~/dagRuns/list', {})), ['edited', 'shared']);
    assert.equal((await alice.expect(200, 'POST', '/api/v2/dags/~/dagRuns/list', { dag_ids: ['private'] })).total_entries, 0);
    const tis = await alice.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances');
    assert.deepEqual([...new Set(tis.task_instances.map((t: { dag_id: string }) => t.dag_id))].sort(), ['edited', 'shared']);
    const batch = await alice.expect(200, 'POST', '/api/v2/dags/~/dagRuns/~/taskInstances/list', { dag_ids: ['private', 'shared'] });
    assert.deepEqual([...new Set(batch.task_instances.map((t: { dag_id: string }) => t.dag_id))], ['shared']);
    const xcoms = await alice.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries');
    assert.ok(xcoms.xcom_entries.every((x: { dag_id: string }) => x.dag_id !== 'private'));
    assert.ok((await admin.expect(200, 'GET', '/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries')).xcom_entries.some((x: { dag_id: string }) => x.dag_id === 'private'));
    const stats = await alice.expect(200, 'GET', '/api/v2/dagStats');
    assert.deepEqual(stats.dags.map((d: { dag_id: string }) => d.dag_id), ['edited', 'shared']);
    assert.deepEqual((await alice.expect(200, 'GET', '/api/v2/dagTags')).tags, ['tag_edited', 'tag_shared']);
    assert.equal((await alice.expect(200, 'GET', '/api/v2/dags/~/dagVersions')).dag_versions.length, 2);
    const logs = await alice.expect(200, 'GET', '/api/v2/eventLogs?limit=1000');
    assert.ok(logs.event_logs.length > 0);
    assert.ok(logs.event_logs.every((e: { dag_id: string | null }) => e.dag_id === 'shared' || e.dag_id === 'edited'), 'only entries of readable DAGs');
    const privateLog = (await s.db.pool.query("SELECT id FROM log WHERE dag_id = 'private' LIMIT 1")).rows[0].id;
    assert.equal((await alice.call('GET', `/api/v2/eventLogs/${privateLog}`)).status, 404);
    const recent = await alice.raw('GET', '/ui/dags/recent_runs?dag_ids=shared,private');
    assert.deepEqual(Object.keys((recent.body as { dag_runs: object }).dag_runs), ['shared']);
  });

  test('can_read does not trigger: 403 and nothing changes; can_edit triggers and pauses; can_delete is needed to delete', async () => {
    const before = await snapshot();
    const refused = await alice.call('POST', '/api/v2/dags/shared/dagRuns', { logical_date: null });
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /needs can_edit on DAG 'shared' \(or can_create on DAG Runs of it\) \(or the User role\); user 'alice' has roles team_a/);
    assert.equal((await alice.call('PATCH', '/api/v2/dags/shared', { is_paused: true })).status, 403);
    assert.equal((await alice.call('DELETE', '/api/v2/dags/edited')).status, 403, 'can_edit is not can_delete');
    assert.equal((await alice.call('PATCH', '/api/v2/dags?dag_id_pattern=~', { is_paused: true })).status, 200);
    assert.deepEqual((await s.db.pool.query('SELECT dag_id FROM dag WHERE is_paused ORDER BY dag_id')).rows, [{ dag_id: 'edited' }], 'the bulk pause touched only the DAG alice may edit');
    await admin.expect(200, 'PATCH', '/api/v2/dags/edited', { is_paused: false });
    assert.deepEqual({ ...(await snapshot()), log: null }, { ...before, log: null });

    await alice.expect(200, 'POST', '/api/v2/dags/edited/dagRuns', { logical_date: null });
    assert.equal((await s.db.pool.query("SELECT count(*)::int AS n FROM dag_run WHERE dag_id = 'edited'")).rows[0].n, 2);
    await alice.expect(200, 'PATCH', '/api/v2/dags/edited', { is_paused: false });
    await alice.expect(200, 'POST', '/api/v2/dags/trigger_only/dagRuns', { logical_date: null });
    assert.equal((await alice.call('PATCH', '/api/v2/dags/trigger_only', { is_paused: true })).status, 403);
    assert.equal((await alice.call('GET', '/api/v2/variables')).status, 403);
    const users = await alice.raw('GET', '/auth/fab/v1/users');
    assert.equal(users.status, 403);
    assert.match((users.body as { detail: string }).detail, /needs the Admin role; user 'alice' has roles team_a/);
  });

  test('a global permission (add-perms team_a -r DAGs -a can_read) makes every DAG readable, not editable', async () => {
    assert.equal((await admin.raw('PATCH', '/auth/fab/v1/roles/team_a?update_mask=actions', { actions: [{ action: { name: 'can_read' }, resource: { name: 'DAGs' } }] })).status, 200);
    assert.deepEqual(dagIds(await alice.expect(200, 'GET', '/api/v2/dags')), ['edited', 'private', 'shared', 'trigger_only']);
    await alice.expect(200, 'GET', '/api/v2/dags/private');
    assert.deepEqual(runDagIds(await alice.expect(200, 'GET', '/api/v2/dags/~/dagRuns')), ['edited', 'private', 'shared', 'trigger_only']);
    assert.equal((await alice.call('POST', '/api/v2/dags/private/dagRuns', { logical_date: null })).status, 403);
    // a per-DAG permission in Airflow's spelling
    assert.equal((await admin.raw('PATCH', '/auth/fab/v1/roles/team_a', { actions: [{ action: { name: 'can_edit' }, resource: { name: 'DAG:private' } }] })).status, 200);
    assert.deepEqual(dagIds(await alice.expect(200, 'GET', '/api/v2/dags')), ['edited', 'shared']);
    await alice.expect(200, 'PATCH', '/api/v2/dags/private', { is_paused: false });
    assert.equal((await admin.raw('PATCH', '/auth/fab/v1/roles/team_a', { actions: [] })).status, 200);
    assert.equal((await alice.call('GET', '/api/v2/dags/private')).status, 403);
  });

  test('a Viewer still sees every DAG and still cannot trigger', async () => {
    assert.deepEqual(dagIds(await viewer.expect(200, 'GET', '/api/v2/dags')), ['edited', 'private', 'shared', 'trigger_only']);
    assert.deepEqual(runDagIds(await viewer.expect(200, 'GET', '/api/v2/dags/~/dagRuns')), ['edited', 'private', 'shared', 'trigger_only']);
    const refused = await viewer.call('POST', '/api/v2/dags/shared/dagRuns', { logical_date: null });
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /needs the User role \(or higher\); user 'vic' has Viewer/);
  });

  test('a Viewer who also holds a custom role gets both: every DAG to read, and the DAGs the role may edit', async () => {
    const both = await userClient('vera', ['Viewer', 'team_a']);
    assert.equal((await both.expect(200, 'GET', '/api/v2/dags')).total_entries, 4);
    await both.expect(200, 'POST', '/api/v2/dags/edited/dagRuns', { logical_date: null });
    const refused = await both.call('POST', '/api/v2/dags/private/dagRuns', { logical_date: null });
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /needs can_edit on DAG 'private' .*\(or the User role\); user 'vera' has roles Viewer, team_a/);
  });

  test('a role created after the DAG counts at once; deleting it takes it from its users', async () => {
    assert.equal((await admin.raw('POST', '/auth/fab/v1/roles', { name: 'team_late' })).status, 200);
    const bob = await userClient('bob', ['team_late']);
    assert.deepEqual(dagIds(await bob.expect(200, 'GET', '/api/v2/dags')), ['shared']);
    const grants = await admin.raw('GET', '/auth/fab/v1/roles/team_late');
    assert.deepEqual(grants.body, { name: 'team_late', actions: [], granted_by_dags: [{ action: { name: 'can_read' }, resource: { name: 'DAG:shared' } }] });
    assert.equal((await admin.raw('DELETE', '/auth/fab/v1/roles/team_late')).status, 204);
    assert.deepEqual((await s.db.pool.query("SELECT roles FROM users WHERE username = 'bob'")).rows[0].roles, []);
    assert.equal((await bob.call('GET', '/api/v2/dags')).status, 403);
    const audit = await s.db.pool.query("SELECT event, extra FROM log WHERE event IN ('post_role', 'delete_role') AND extra LIKE '%team_late%' ORDER BY id");
    assert.deepEqual(audit.rows.map((r) => [r.event, JSON.parse(r.extra).removed_from_users ?? null]), [['post_role', null], ['delete_role', ['bob']]]);
  });

  test('a bad access_control fails the parse with the DAG named and the problem', async () => {
    const file = s.writeDag('bad_acl.ts', dagFile('bad_acl', ", access_control: { team_a: ['can_read', 'can_fly'] }"));
    await waitFor(async () => (await s.db.pool.query('SELECT 1 FROM import_error WHERE filename = $1', [file])).rowCount === 1, 15_000, 'the import error');
    const error = (await s.db.pool.query('SELECT message FROM import_error WHERE filename = $1', [file])).rows[0].message as string;
    assert.match(error, /DAG 'bad_acl': access_control: role 'team_a': unknown action "can_fly" on DAGs \(allowed: can_read, can_edit, can_delete\)/);
    assert.equal((await s.db.pool.query("SELECT 1 FROM dag WHERE dag_id = 'bad_acl'")).rowCount, 0);
    // an import error names a file, not a DAG: a user who reads none of its DAGs does not see it
    assert.equal((await alice.expect(200, 'GET', '/api/v2/importErrors')).total_entries, 0);
    assert.equal((await viewer.expect(200, 'GET', '/api/v2/importErrors')).total_entries, 1);
  });
});

describe('roles endpoints', () => {
  test('list, create, change and refuse bad input; built-in roles are neither deleted nor changed (409) and nothing changes', async () => {
    const list = await admin.raw('GET', '/auth/fab/v1/roles');
    assert.deepEqual((list.body as { roles: { name: string }[] }).roles.map((r) => r.name).sort(), ['Admin', 'Op', 'User', 'Viewer', 'team_a']);
    const before = await snapshot();
    for (const [method, url, body] of [
      ['DELETE', '/auth/fab/v1/roles/Viewer', undefined],
      ['PATCH', '/auth/fab/v1/roles/Viewer', { actions: [] }],
      ['PATCH', '/auth/fab/v1/roles/Op', { name: 'Operators' }],
    ] as const) {
      const r = await admin.raw(method, url, body);
      assert.equal(r.status, 409, `${method} ${url}`);
      assert.match((r.body as { detail: string }).detail, /The built-in role `(Viewer|Op)` cannot be/);
    }
    assert.equal((await admin.raw('POST', '/auth/fab/v1/roles', { name: 'team_a' })).status, 409);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/roles', { name: ' spaced ' })).status, 400);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/roles', { name: 'x', actions: [{ action: { name: 'can_fly' }, resource: { name: 'DAGs' } }] })).status, 400);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/roles', { name: 'x', actions: [{ action: { name: 'can_read' }, resource: { name: 'Nothing' } }] })).status, 400);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/roles', { name: 'x', extra: 1 })).status, 400);
    assert.equal((await admin.raw('PATCH', '/auth/fab/v1/roles/team_a?update_mask=colour', {})).status, 400);
    assert.equal((await admin.raw('DELETE', '/auth/fab/v1/roles/nope')).status, 404);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/users', { username: 'x', password: PASSWORD, roles: [{ name: 'nope' }] })).status, 400);
    assert.equal((await viewer.raw('POST', '/auth/fab/v1/roles', { name: 'sneaky' })).status, 403);
    assert.deepEqual(await snapshot(), before);

    const viewerRole = await admin.raw('GET', '/auth/fab/v1/roles/Viewer');
    assert.ok((viewerRole.body as { actions: unknown[] }).actions.length > 5);
    assert.deepEqual((await admin.raw('GET', '/auth/fab/v1/permissions')).body, { actions: ['can_read', 'can_edit', 'can_create', 'can_delete'].map((name) => ({ name })), total_entries: 4 });
    const created = await admin.raw('POST', '/auth/fab/v1/roles', { name: 'ops team', actions: [{ action: { name: 'can_read' }, resource: { name: 'Variables' } }] });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const renamed = await admin.raw('PATCH', '/auth/fab/v1/roles/ops%20team?update_mask=name', { name: 'ops_team', actions: [] });
    assert.deepEqual(renamed.body, { name: 'ops_team', actions: [{ action: { name: 'can_read' }, resource: { name: 'Variables' } }], granted_by_dags: [] });
    const olga = await userClient('olga', ['ops_team']);
    await olga.expect(200, 'GET', '/api/v2/variables');
    assert.match((await olga.call('POST', '/api/v2/variables', { key: 'k', value: 'v' })).body.detail, /needs can_create on Variables/);
    assert.equal((await olga.expect(200, 'GET', '/api/v2/dags')).total_entries, 0, 'no DAG grants: an empty list');
    const events = await s.db.pool.query("SELECT event FROM log WHERE event LIKE '%_role' ORDER BY id");
    assert.ok(events.rows.map((r) => r.event).includes('patch_role'));
  });
});

/** Runs the CLI in a child process (asynchronously: the api-server it may call runs in this process). */
function updraft(args: string[], remote: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = remote
    ? { UPDRAFT_API_URL: s.url, UPDRAFT_API_TOKEN: s.token, UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: 'postgresql://nobody:nothing@127.0.0.1:1/none' }
    : { UPDRAFT_API_URL: '', UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: s.db.url };
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, UPDRAFT_HOME: s.config.home, COLUMNS: '200', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('updraft roles', () => {
  for (const remote of [false, true]) {
    test(`create, list, add-perms, del-perms, delete ${remote ? 'through the api-server' : 'on the local database'}`, async () => {
      const ok = async (args: string[]) => {
        const r = await updraft(args, remote);
        assert.equal(r.code, 0, `updraft ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const role = remote ? 'cli_remote' : 'cli_local';
      assert.equal(await ok(['roles', 'create', role, 'team_a']), `Role '${role}' created\nRole 'team_a' already exists\n`);
      assert.ok((JSON.parse(await ok(['roles', 'list', '-o', 'json'])) as { name: string }[]).some((r) => r.name === role));
      assert.equal(await ok(['roles', 'add-perms', role, '-r', 'DAGs', 'DAG Runs', '-a', 'can_read']), `Added can_read on DAGs to role ${role}\nAdded can_read on DAG Runs to role ${role}\n`);
      assert.equal(await ok(['roles', 'add-perms', role, '-r', 'DAGs', '-a', 'can_read', 'can_edit']), `Role ${role} already has can_read on DAGs\nAdded can_edit on DAGs to role ${role}\n`);
      const rows = JSON.parse(await ok(['roles', 'list', '-p', '-o', 'json'])) as { name: string; resource: string; action: string }[];
      assert.deepEqual(rows.filter((r) => r.name === role), [{ name: role, resource: 'DAG Runs', action: 'can_read' }, { name: role, resource: 'DAGs', action: 'can_edit,can_read' }]);
      assert.deepEqual(rows.filter((r) => r.name === 'team_a'), [{ name: 'team_a', resource: 'DAG Run:trigger_only', action: 'can_create' }, { name: 'team_a', resource: 'DAG:edited', action: 'can_edit,can_read' }, { name: 'team_a', resource: 'DAG:shared', action: 'can_read' }]);
      assert.match(await ok(['roles', 'list', '-p']), /Viewer\s+\| DAGs\s+\| can_read/);
      assert.equal(await ok(['roles', 'del-perms', role, '-r', 'DAG Runs', '-a', 'can_read']), `Deleted can_read on DAG Runs from role ${role}\n`);
      assert.deepEqual((await s.db.pool.query('SELECT action, resource FROM role_permission WHERE role = $1 ORDER BY 1', [role])).rows, [{ action: 'can_edit', resource: 'DAGs' }, { action: 'can_read', resource: 'DAGs' }]);

      const before = await snapshot();
      for (const [args, message] of [
        [['roles', 'delete', 'Viewer'], /The built-in role 'Viewer' cannot be deleted/],
        [['roles', 'add-perms', 'Op', '-r', 'DAGs', '-a', 'can_read'], /The built-in role 'Op' cannot be changed/],
        [['roles', 'delete', role, 'nope'], /Role named 'nope' does not exist/],
        [['roles', 'add-perms', role, '-r', 'Spaceships', '-a', 'can_read'], /Unknown resource 'Spaceships'/],
        [['roles', 'add-perms', role, '-r', 'DAGs', '-a', 'can_fly'], /Unknown action 'can_fly'/],
        [['roles', 'create', ''], /A role name must be/],
      ] as const) {
        const r = await updraft([...args], remote);
        assert.equal(r.code, 1, args.join(' '));
        assert.match(r.stderr, message);
      }
      assert.deepEqual(await snapshot(), before, 'refused commands changed nothing');

      assert.equal((await updraft(['users', 'create', '-u', `${role}_user`, '-r', role, '-p', PASSWORD], remote)).code, 0);
      assert.match(await ok(['roles', 'delete', role]), new RegExp(`Role '${role}' deleted`));
      assert.deepEqual((await s.db.pool.query('SELECT roles FROM users WHERE username = $1', [`${role}_user`])).rows[0].roles, []);
      assert.match((await updraft(['users', 'add-role', '-u', `${role}_user`, '-r', role], remote)).stderr, /Unknown role/);
      const audit = await s.db.pool.query("SELECT event FROM log WHERE extra LIKE $1 AND event LIKE '%role%' ORDER BY id", [`%"${role}"%`]);
      const expected = remote ? ['post_role', 'patch_role', 'patch_role', 'patch_role', 'delete_role'] : ['cli_roles_create', 'cli_roles_add_perms', 'cli_roles_add_perms', 'cli_roles_del_perms', 'cli_roles_delete'];
      assert.deepEqual(audit.rows.map((r) => r.event), expected);
    });

    test(`export and import ${remote ? 'through the api-server' : 'on the local database'}: custom roles round-trip, existing ones are left alone, a bad file changes nothing`, async () => {
      const ok = async (args: string[]) => {
        const r = await updraft(args, remote);
        assert.equal(r.code, 0, `updraft ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-roles-'));
      const file = path.join(dir, 'roles.json');
      const role = remote ? 'exported_remote' : 'exported_local';
      const empty = `${role}_empty`;
      await ok(['roles', 'create', role, empty]);
      await ok(['roles', 'add-perms', role, '-r', 'DAGs', '-a', 'can_read', 'can_edit']);
      await ok(['roles', 'add-perms', role, '-r', 'Variables', '-a', 'can_read']);
      assert.match(await ok(['roles', 'export', file, '-p']), /roles \(\d+ entries\) exported to/);
      const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as { name: string; resource: string; action: string }[];
      assert.deepEqual(rows.filter((r) => r.name === role || r.name === empty), [
        { name: role, resource: 'DAGs', action: 'can_edit,can_read' },
        { name: role, resource: 'Variables', action: 'can_read' },
        { name: empty, resource: '', action: '' },
      ]);
      assert.ok(!rows.some((r) => ['Admin', 'Op', 'User', 'Viewer'].includes(r.name)), 'built-in roles are not exported');

      await ok(['roles', 'delete', role, empty]);
      await ok(['roles', 'add-perms', 'team_a', '-r', 'Pools', '-a', 'can_read']);
      const out = await ok(['roles', 'import', file]);
      assert.match(out, new RegExp(`Role '${role}' imported with 3 permissions`));
      assert.match(out, new RegExp(`Role '${empty}' imported with 0 permissions`));
      assert.match(out, /Role 'team_a' exists already: left as it is/);
      const perms = await s.db.pool.query('SELECT action, resource FROM role_permission WHERE role = $1 ORDER BY resource, action', [role]);
      assert.deepEqual(perms.rows, [{ action: 'can_edit', resource: 'DAGs' }, { action: 'can_read', resource: 'DAGs' }, { action: 'can_read', resource: 'Variables' }]);
      assert.equal((await s.db.pool.query('SELECT 1 FROM role WHERE name = $1', [empty])).rowCount, 1);
      await ok(['roles', 'del-perms', 'team_a', '-r', 'Pools', '-a', 'can_read']);

      await ok(['roles', 'delete', role, empty]);
      const before = await snapshot();
      const bad = (name: string, text: string) => {
        const f = path.join(dir, name);
        fs.writeFileSync(f, text);
        return f;
      };
      for (const [f, message] of [
        [path.join(dir, 'missing.json'), /does not exist/],
        [bad('garbage.json', '{ not json'), /is not valid JSON/],
        [bad('object.json', '{"name": "x"}'), /must hold a list/],
        [bad('action.json', JSON.stringify([{ name: role, resource: 'DAGs', action: 'can_read' }, { name: empty, resource: 'DAGs', action: 'can_fly' }])), /entry 2 .*Unknown action 'can_fly'/],
        [bad('resource.json', JSON.stringify([{ name: role, resource: 'Spaceships', action: 'can_read' }])), /entry 1 .*Unknown resource 'Spaceships'/],
        [bad('name.json', JSON.stringify([{ name: '', resource: '', action: '' }])), /A role name must be/],
      ] as const) {
        const r = await updraft(['roles', 'import', f], remote);
        assert.equal(r.code, 1, f);
        assert.match(r.stderr, message);
      }
      assert.deepEqual(await snapshot(), before, 'a refused import changed nothing (not even the valid entries before the bad one)');
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});

describe('more lists narrowed to readable DAGs', () => {
  test('dagWarnings and listMapped (also with ~) show a custom role only the DAGs it may read', async () => {
    // two DAGs with a warning (a pool that does not exist) and a mapped task; only one readable by team_w
    const source = (dagId: string, extra: string) => `import { DAG, BashOperator } from '@updraft/sdk';
      export default new DAG({ dag_id: '${dagId}', schedule: null, start_date: '2024-01-01', is_paused_upon_creation: false${extra} }, () => {
        new BashOperator({ task_id: 'odd_pool', bash_command: 'true', pool: 'no_such_pool' });
        BashOperator.partial({ task_id: 'mapped' }).expand({ bash_command: ['echo 1', 'echo 2'] });
      });`;
    s.writeDag('warn_visible.ts', source('warn_visible', ", access_control: { team_w: ['can_read'] }"));
    s.writeDag('warn_hidden.ts', source('warn_hidden', ''));
    for (const id of ['warn_visible', 'warn_hidden']) await s.waitForDag(id);
    const runs: Record<string, string> = {};
    for (const id of ['warn_visible', 'warn_hidden']) runs[id] = await s.trigger(id);
    // the mapped task expands once the run is examined; odd_pool never runs (its pool does not exist)
    await waitForMapped(runs);
    assert.equal((await admin.raw('POST', '/auth/fab/v1/roles', { name: 'team_w', actions: [] })).status, 200);
    const wanda = await userClient('wanda', ['team_w']);

    const warnings = (body: { dag_warnings: { dag_id: string }[] }) => body.dag_warnings.map((w) => w.dag_id).filter((d) => d.startsWith('warn_')).sort();
    assert.deepEqual(warnings(await admin.expect(200, 'GET', '/api/v2/dagWarnings')), ['warn_hidden', 'warn_visible']);
    assert.deepEqual(warnings(await wanda.expect(200, 'GET', '/api/v2/dagWarnings')), ['warn_visible']);

    const mapped = async (client: ContractClient, dagId: string, runId: string) =>
      ((await client.expect(200, 'GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/mapped/listMapped`)) as { task_instances: { dag_id: string }[] }).task_instances.map((t) => t.dag_id);
    assert.deepEqual(await mapped(wanda, 'warn_visible', runs.warn_visible), ['warn_visible', 'warn_visible']);
    assert.deepEqual([...new Set(await mapped(admin, '~', '~'))].filter((d) => d.startsWith('warn_')).sort(), ['warn_hidden', 'warn_visible']);
    assert.deepEqual([...new Set(await mapped(wanda, '~', '~'))], ['warn_visible']);
    const refused = await wanda.call('GET', `/api/v2/dags/warn_hidden/dagRuns/${encodeURIComponent(runs.warn_hidden)}/taskInstances/mapped/listMapped`);
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /can_read on DAG 'warn_hidden'/);
  });
});

async function waitForMapped(runs: Record<string, string>) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await s.db.pool.query("SELECT count(*)::int AS n FROM task_instance WHERE task_id = 'mapped' AND map_index >= 0 AND run_id = ANY($1)", [Object.values(runs)]);
    if (r.rows[0].n === 4) return;
    if (Date.now() > deadline) throw new Error('the mapped task did not expand');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

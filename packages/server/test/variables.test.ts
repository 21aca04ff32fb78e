/**
 * Variables through the REST API (CRUD, update_mask, bulk, *** for sensitive
 * keys), the Execution API (environment variables first, is_sensitive) and
 * the CLI (set/get/list/delete, import all-or-nothing, export), on a real
 * api-server and embedded PostgreSQL; values encrypted in the table.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { jwtSecret } from '../src/security/secret.ts';
import { signToken } from '../src/security/tokens.ts';
import { startStandalone, type TestStandalone } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');

let s: TestStandalone;
let taskToken: string;

async function execution(method: string, url: string, body?: unknown) {
  const res = await fetch(`${s.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${taskToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function updraft(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, UPDRAFT_HOME: s.config.home, UPDRAFT__CORE__SENSITIVE_VAR_CONN_NAMES: 'pin_code, iban' }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The whole table, to show that a refused import changed nothing. */
async function snapshot() {
  return (await s.db.pool.query('SELECT key, val, description, is_encrypted FROM variable ORDER BY key')).rows;
}

before(async () => {
  s = await startStandalone({ UPDRAFT__CORE__SENSITIVE_VAR_CONN_NAMES: 'pin_code, iban' }, { apiServer: true });
  taskToken = await signToken(jwtSecret(s.config), { kind: 'task', sub: randomUUID(), dag_id: 'etl', run_id: 'manual__1', task_id: 'load', map_index: -1, try_number: 1 }, 300);
});
after(async () => {
  await s?.close();
});

describe('the Variables REST API', () => {
  test('create, read, update with update_mask, and delete; values encrypted in the table', async () => {
    const created = await s.api('POST', '/api/v2/variables', { key: 'work_bucket', value: 'bakery-raw', description: 'landing zone' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, { key: 'work_bucket', value: 'bakery-raw', description: 'landing zone', is_encrypted: true, team_name: null });
    assert.equal((await s.api('POST', '/api/v2/variables', { key: 'work_bucket', value: 'again' })).status, 409);
    assert.equal((await s.api('POST', '/api/v2/variables', { key: 'no_value' })).status, 422);
    assert.equal((await s.api('POST', '/api/v2/variables', { key: '', value: 'x' })).status, 422);

    // a JSON value is stored as its JSON text
    const json = await s.api('POST', '/api/v2/variables', { key: 'emr_config', value: { release_label: 'emr-6.15.0', instances: 3 } });
    assert.equal(json.body.value, '{"release_label":"emr-6.15.0","instances":3}');

    assert.equal((await s.api('GET', '/api/v2/variables/work_bucket')).body.value, 'bakery-raw');
    assert.equal((await s.api('GET', '/api/v2/variables/missing')).status, 404);

    const onlyDescription = await s.api('PATCH', '/api/v2/variables/work_bucket?update_mask=description', { key: 'work_bucket', value: 'ignored', description: 'raw files' });
    assert.equal(onlyDescription.status, 200, JSON.stringify(onlyDescription.body));
    assert.deepEqual([onlyDescription.body.value, onlyDescription.body.description], ['bakery-raw', 'raw files']);
    const both = await s.api('PATCH', '/api/v2/variables/work_bucket', { key: 'work_bucket', value: 'bakery-landing' });
    assert.deepEqual([both.body.value, both.body.description], ['bakery-landing', 'raw files']);
    assert.equal((await s.api('PATCH', '/api/v2/variables/work_bucket', { key: 'other', value: 'x' })).status, 400);
    assert.equal((await s.api('PATCH', '/api/v2/variables/work_bucket?update_mask=colour', { key: 'work_bucket', value: 'x' })).status, 400);
    assert.equal((await s.api('PATCH', '/api/v2/variables/missing', { key: 'missing', value: 'x' })).status, 404);

    const stored = await s.db.pool.query<{ val: string; is_encrypted: boolean }>('SELECT val, is_encrypted FROM variable WHERE key = $1', ['work_bucket']);
    assert.match(stored.rows[0].val, /^enc:v1:[0-9a-f]{8}:/);
    assert.ok(!stored.rows[0].val.includes('bakery'), 'the clear value is not in the table');

    assert.equal((await s.api('DELETE', '/api/v2/variables/emr_config')).status, 204);
    assert.equal((await s.api('DELETE', '/api/v2/variables/emr_config')).status, 404);
    const events = (await s.db.pool.query<{ event: string; owner: string; extra: string }>("SELECT event, owner, extra FROM log WHERE event LIKE '%_variable' ORDER BY id")).rows;
    assert.deepEqual(events.map((e) => e.event), ['post_variable', 'post_variable', 'patch_variable', 'patch_variable', 'delete_variable']);
    assert.ok(events.every((e) => e.owner === 'admin' && !e.extra.includes('bakery')), 'audited by user, without the values');
  });

  test('values of sensitive keys are *** in get and list; sensitive fields inside JSON values too', async () => {
    await s.api('POST', '/api/v2/variables', { key: 'smtp_password', value: 'hunter2' });
    await s.api('POST', '/api/v2/variables', { key: 'customer_PIN_CODE', value: '1234' }); // from [core] sensitive_var_conn_names
    await s.api('POST', '/api/v2/variables', { key: 'partner', value: { name: 'acme', api_key: 'AK-1', auth: { client_secret: 'CS' } } });
    const pwd = await s.api('GET', '/api/v2/variables/smtp_password');
    assert.equal(pwd.body.value, '***');
    assert.equal((await s.api('GET', '/api/v2/variables/customer_PIN_CODE')).body.value, '***');
    assert.deepEqual(JSON.parse((await s.api('GET', '/api/v2/variables/partner')).body.value), { name: 'acme', api_key: '***', auth: { client_secret: '***' } });
    const list = await s.api('GET', '/api/v2/variables?limit=100');
    assert.ok(!JSON.stringify(list.body).includes('hunter2') && !JSON.stringify(list.body).includes('AK-1'));
    assert.equal(list.body.variables.find((v: { key: string }) => v.key === 'smtp_password').value, '***');
  });

  test('list: total, limit/offset, order_by and key patterns', async () => {
    for (const key of ['page_a', 'page_b', 'page_c', 'page_d']) await s.api('POST', '/api/v2/variables', { key, value: key });
    const page = await s.api('GET', '/api/v2/variables?variable_key_pattern=page%25&order_by=-key&limit=2&offset=1');
    assert.equal(page.body.total_entries, 4);
    assert.deepEqual(page.body.variables.map((v: { key: string }) => v.key), ['page_c', 'page_b']);
    const either = await s.api('GET', '/api/v2/variables?variable_key_pattern=page_a%20|%20work%25');
    assert.deepEqual(either.body.variables.map((v: { key: string }) => v.key), ['work_bucket', 'page_a'], 'default order: creation');
    assert.equal((await s.api('GET', '/api/v2/variables?order_by=val;drop')).status, 422);
  });

  test('bulk actions: each action all-or-nothing, results per action', async () => {
    const r = await s.api('PATCH', '/api/v2/variables', {
      actions: [
        { action: 'create', entities: [{ key: 'bulk_1', value: 'one' }, { key: 'work_bucket', value: 'clash' }] },
        { action: 'create', entities: [{ key: 'bulk_2', value: 'two' }, { key: 'page_a', value: 'replaced' }], action_on_existence: 'overwrite' },
        { action: 'update', entities: [{ key: 'bulk_2', value: 'TWO', description: 'not this' }], update_mask: ['value'] },
        { action: 'update', entities: [{ key: 'bulk_missing', value: 'x' }] },
        { action: 'delete', entities: ['page_b', { key: 'page_c', value: '' }, 'page_zzz'], action_on_non_existence: 'skip' },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.create.success, ['bulk_2', 'page_a']);
    assert.deepEqual(r.body.create.errors.map((e: { status_code: number }) => e.status_code), [409]);
    assert.match(r.body.create.errors[0].error, /work_bucket/);
    assert.deepEqual(r.body.update.success, ['bulk_2']);
    assert.deepEqual(r.body.update.errors.map((e: { status_code: number }) => e.status_code), [404]);
    assert.deepEqual(r.body.delete, { success: ['page_b', 'page_c'], errors: [] });
    assert.equal((await s.api('GET', '/api/v2/variables/bulk_1')).status, 404, 'the failed create action created nothing');
    assert.deepEqual(await s.api('GET', '/api/v2/variables/bulk_2').then((x) => [x.body.value, x.body.description]), ['TWO', null]);
    assert.equal((await s.api('GET', '/api/v2/variables/page_a')).body.value, 'replaced');
    assert.equal((await s.api('GET', '/api/v2/variables/work_bucket')).body.value, 'bakery-landing');
  });
});

describe('Variables from task code (Execution API)', () => {
  test('clear values with is_sensitive; AIRFLOW_VAR_ and UPDRAFT_VAR_ win over the database', async () => {
    assert.deepEqual((await execution('GET', '/execution/variables/work_bucket')).body, { key: 'work_bucket', value: 'bakery-landing', is_sensitive: false });
    assert.deepEqual((await execution('GET', '/execution/variables/smtp_password')).body, { key: 'smtp_password', value: 'hunter2', is_sensitive: true });
    assert.equal((await execution('GET', '/execution/variables/customer_PIN_CODE')).body.is_sensitive, true);
    process.env.AIRFLOW_VAR_WORK_BUCKET = 'from-airflow-env';
    try {
      assert.equal((await execution('GET', '/execution/variables/work_bucket')).body.value, 'from-airflow-env');
      process.env.UPDRAFT_VAR_WORK_BUCKET = 'from-updraft-env';
      assert.equal((await execution('GET', '/execution/variables/work_bucket')).body.value, 'from-updraft-env');
      process.env.AIRFLOW_VAR_ONLY_IN_ENV_TOKEN = 'env-secret';
      assert.deepEqual((await execution('GET', '/execution/variables/only_in_env_token')).body, { key: 'only_in_env_token', value: 'env-secret', is_sensitive: true });
    } finally {
      delete process.env.AIRFLOW_VAR_WORK_BUCKET;
      delete process.env.UPDRAFT_VAR_WORK_BUCKET;
      delete process.env.AIRFLOW_VAR_ONLY_IN_ENV_TOKEN;
    }
    assert.equal((await execution('GET', '/execution/variables/work_bucket')).body.value, 'bakery-landing');
    assert.equal((await execution('GET', '/execution/variables/never_set')).status, 404);
  });

  test('Variable.set from a task is stored encrypted, keeps the description, and is audited with the task', async () => {
    assert.equal((await execution('PUT', '/execution/variables/work_bucket', { value: 'set-by-task', description: null })).status, 204);
    assert.deepEqual(await s.api('GET', '/api/v2/variables/work_bucket').then((x) => [x.body.value, x.body.description]), ['set-by-task', 'raw files']);
    assert.equal((await execution('PUT', '/execution/variables/fresh', { value: 42 })).status, 400);
    const row = await s.db.pool.query<{ val: string }>('SELECT val FROM variable WHERE key = $1', ['work_bucket']);
    assert.ok(!row.rows[0].val.includes('set-by-task'));
    const audit = await s.db.pool.query("SELECT dag_id, task_id, run_id FROM log WHERE event = 'variable_set'");
    assert.deepEqual(audit.rows, [{ dag_id: 'etl', task_id: 'load', run_id: 'manual__1' }]);
  });
});

describe('updraft variables', () => {
  test('set, get, list, delete', async () => {
    const set = updraft(['variables', 'set', 'cli_var', 'hello world', '--description', 'from the CLI']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'Variable cli_var created\n');
    assert.deepEqual(await s.api('GET', '/api/v2/variables/cli_var').then((x) => [x.body.value, x.body.description]), ['hello world', 'from the CLI']);
    assert.equal(updraft(['variables', 'get', 'cli_var']).stdout, 'hello world\n');

    assert.equal(updraft(['variables', 'set', 'cli_json', '{"steps": [1, 2]}', '--json']).code, 0);
    assert.deepEqual(JSON.parse(updraft(['variables', 'get', 'cli_json', '--json']).stdout), { steps: [1, 2] });
    assert.match(updraft(['variables', 'set', 'x', '{oops', '--json']).stderr, /not valid JSON/);

    const missing = updraft(['variables', 'get', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: Variable nope does not exist\n');
    assert.equal(updraft(['variables', 'get', 'nope', '--default', 'fallback']).stdout, 'fallback\n');
    // as Airflow's `variables get`: the value itself, for scripts
    assert.equal(updraft(['variables', 'get', 'smtp_password']).stdout, 'hunter2\n');

    const list = updraft(['variables', 'list', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const byKey = Object.fromEntries(JSON.parse(list.stdout).map((v: { key: string; val: string }) => [v.key, v.val]));
    assert.equal(byKey.smtp_password, '***');
    assert.equal(byKey.customer_PIN_CODE, '***');
    assert.equal(byKey.cli_var, 'hello world');
    assert.ok(!list.stdout.includes('hunter2'));
    assert.match(updraft(['variables', 'list']).stdout, /smtp_password +\| \*\*\*/);

    assert.equal(updraft(['variables', 'delete', 'cli_var']).stdout, 'Variable cli_var deleted\n');
    assert.equal(updraft(['variables', 'delete', 'cli_var']).code, 1);
    assert.equal((await s.api('GET', '/api/v2/variables/cli_var')).status, 404);
    const audit = await s.db.pool.query("SELECT event FROM log WHERE event LIKE 'cli_variables_%' ORDER BY id");
    assert.deepEqual(audit.rows.map((r) => r.event), ['cli_variables_set', 'cli_variables_set', 'cli_variables_delete']);
  });

  test('import is all-or-nothing: an invalid entry or a file that is not a JSON object changes nothing', async () => {
    const file = path.join(s.config.home, 'variables.json');
    const before = await snapshot();
    const refused = (content: string, message: RegExp) => {
      fs.writeFileSync(file, content);
      const r = updraft(['variables', 'import', file]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, message);
    };
    refused(JSON.stringify({ imp_a: 'one', work_bucket: 'overwritten?', imp_b: null, imp_c: { k: 'v' } }), /Invalid entry 'imp_b' in .*variables\.json: the value is null .*; nothing was imported/);
    refused(JSON.stringify({ imp_a: 'one', '': 'empty key' }), /Invalid entry '' .*the key is empty/);
    refused(JSON.stringify({ imp_a: 'one', imp_d: { value: 'v', description: 7 } }), /Invalid entry 'imp_d'.*description must be a string/);
    refused('[{"key": "imp_a", "value": "one"}]', /must hold a JSON object of variable key → value, not an array/);
    refused('{"imp_a": "one",', /is not valid JSON/);
    refused(JSON.stringify({ imp_a: 'one', work_bucket: 'x' }).replace('}', ', "tab\\tkey": "x"}'), /Invalid entry 'tab\tkey'.*control characters/);
    assert.deepEqual(await snapshot(), before, 'the table is unchanged');
    const fail = updraft(['variables', 'import', '-a', 'fail', (fs.writeFileSync(file, JSON.stringify({ imp_a: 'one', work_bucket: 'x' })), file)]);
    assert.equal(fail.code, 1);
    assert.match(fail.stderr, /already exist: work_bucket; nothing was imported/);
    assert.deepEqual(await snapshot(), before, 'the table is unchanged');
  });

  test('import then export: Airflow\'s file format, JSON values kept as JSON', async () => {
    const file = path.join(s.config.home, 'import.json');
    const content = {
      release_label: 'emr-6.15.0',
      bootstrap_bucket: 'my-bootstrap',
      job_flow: { Instances: { InstanceCount: 3 }, Applications: [{ Name: 'Spark' }] },
      airflow_email: { value: 'ops@example.com', description: 'who hears about failures' },
      retries: 3,
    };
    fs.writeFileSync(file, JSON.stringify(content));
    const r = updraft(['variables', 'import', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '5 of 5 variables successfully updated.\n');
    assert.equal((await s.api('GET', '/api/v2/variables/release_label')).body.value, 'emr-6.15.0');
    assert.deepEqual(JSON.parse((await s.api('GET', '/api/v2/variables/job_flow')).body.value), content.job_flow);
    assert.equal((await s.api('GET', '/api/v2/variables/retries')).body.value, '3');
    assert.equal((await s.api('GET', '/api/v2/variables/airflow_email')).body.description, 'who hears about failures');

    const skipped = updraft(['variables', 'import', '-a', 'skip', (fs.writeFileSync(file, JSON.stringify({ release_label: 'emr-7', brand_new: 'x' })), file)]);
    assert.equal(skipped.stdout, '1 of 2 variables successfully updated.\nThe variables with these keys were skipped because they already exist: release_label\n');
    assert.equal((await s.api('GET', '/api/v2/variables/release_label')).body.value, 'emr-6.15.0');

    const out = path.join(s.config.home, 'export.json');
    const exported = updraft(['variables', 'export', out]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /variables successfully exported to/);
    const data = JSON.parse(fs.readFileSync(out, 'utf8'));
    for (const [k, v] of Object.entries(content)) assert.deepEqual(data[k], v, k);
    assert.equal(data.smtp_password, 'hunter2', 'exports hold the clear values, for re-import');
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
  });
});

/**
 * The context task code gets (TaskFlow through getCurrentContext(), operators
 * through execute/python_callable), with Variables, Connections and XCom
 * reachable from it; and the secrets a task learns are masked in its log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStandalone, type TestStandalone } from './helpers.ts';

let s: TestStandalone;

const SECRETS = {
  variable: 'hunter2-variable-secret',
  password: 'conn-pass-5678',
  token: 'tok-abcdef-123',
  jsonInner: 'inner-json-secret',
};

before(async () => {
  s = await startStandalone();
  const variables: [string, string][] = [
    ['bucket', 'my-bucket'],
    ['cfg', '{"a": {"b": 1}}'],
    ['db_password', SECRETS.variable],
    ['api_secret_json', JSON.stringify({ user: 'svc', key: SECRETS.jsonInner })],
  ];
  for (const [key, value] of variables) {
    const res = await s.api('POST', '/api/v2/variables', { key, value });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const conns = [
    { connection_id: 'warehouse', conn_type: 'postgres', host: 'wh.internal', port: 5439, login: 'etl', schema: 'sales' },
    { connection_id: 'secure', conn_type: 'http', host: 'api.internal', password: SECRETS.password, extra: JSON.stringify({ api_token: SECRETS.token, region: 'eu-west-1' }) },
  ];
  for (const conn of conns) {
    const res = await s.api('POST', '/api/v2/connections', conn);
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
});
after(async () => {
  await s?.close();
});

const trigger = (dagId: string, body: Record<string, unknown> = {}) => s.trigger(dagId, body);

function logFile(dagId: string, runId: string, taskId: string): string {
  return fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=${dagId}/run_id=${runId}/task_id=${taskId}/attempt=1.log`), 'utf8');
}

async function returned(dagId: string, runId: string, taskId: string): Promise<any> {
  const r = await s.db.pool.query("SELECT value FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND key = 'return_value'", [dagId, runId, taskId]);
  return r.rows[0]?.value;
}

describe('task context', () => {
  test('TaskFlow functions and operators read var, conn, params, ti and XCom from the same context', async () => {
    s.writeDag(
      'ctx.ts',
      `import { DAG, task, getCurrentContext, Variable, Connection, PythonOperator } from '@updraft/sdk';
       async function inspect(ctx, fromArg) {
         let missingConn = null;
         try { await ctx.conn.get('no_such_conn'); } catch (err) { missingConn = err.message; }
         let missingVar = null;
         try { await ctx.var.value.get('no_such_var'); } catch (err) { missingVar = err.message; }
         const conn = await ctx.conn.get('warehouse');
         return {
           bucket: await ctx.var.value.get('bucket'),
           cfg: (await ctx.var.json.get('cfg')).a.b,
           fallback: await ctx.var.value.get('no_such_var', 'dflt'),
           jsonFallback: await ctx.var.json.get('no_such_var', { d: 1 }),
           missingVar,
           conn: [conn.host, conn.port, conn.login, conn.schema, conn.conn_type].join('|'),
           missingConn,
           viaClasses: [await Variable.get('bucket'), (await Connection.get('warehouse')).host].join('|'),
           pulled: await ctx.ti.xcom_pull('produce'),
           pulledWithOptions: await ctx.ti.xcom_pull({ task_ids: ['produce'], key: 'n' }),
           fromArg,
           params: [ctx.params.who, ctx.params.level].join('|'),
           conf: ctx.dag_run.conf.who,
           ids: [ctx.dag.dag_id, ctx.task.task_id, ctx.ti.task_id, ctx.run_id === ctx.dag_run.run_id, ctx.ti.try_number].join('|'),
           dates: ctx.ds === ctx.logical_date.toISOString().slice(0, 10) && ctx.ts_nodash.length === 15,
           macro: ctx.macros.ds_add('2024-01-31', 1),
           sameAsCurrent: ctx.ti.task_id === getCurrentContext().ti.task_id,
         };
       }
       export default new DAG({ dag_id: 'ctx', schedule: null, start_date: '2024-01-01', params: { who: 'default', level: 3 } }, () => {
         const produce = task(function produce() { return { n: 41 }; }, { multiple_outputs: true });
         const consume = task(async function consume(fromArg) { return inspect(getCurrentContext(), fromArg); });
         const value = produce();
         consume(value.get('n'));
         new PythonOperator({ task_id: 'classic', python_callable: (ctx) => inspect(ctx, 'none') }).setUpstream(value);
       });`,
    );
    await s.waitForDag('ctx');
    const runId = await trigger('ctx', { logical_date: '2024-03-01T00:00:00+00:00', conf: { who: 'conf-user' } });
    assert.equal(await s.waitForRun('ctx', runId), 'success', logFile('ctx', runId, 'consume'));
    const common = {
      bucket: 'my-bucket',
      cfg: 1,
      fallback: 'dflt',
      jsonFallback: { d: 1 },
      missingVar: 'Variable no_such_var does not exist',
      conn: 'wh.internal|5439|etl|sales|postgres',
      missingConn: "The conn_id `no_such_conn` isn't defined",
      viaClasses: 'my-bucket|wh.internal',
      pulled: { n: 41 },
      pulledWithOptions: [41],
      params: 'conf-user|3',
      conf: 'conf-user',
      dates: true,
      macro: '2024-02-01',
      sameAsCurrent: true,
    };
    assert.deepEqual(await returned('ctx', runId, 'consume'), { ...common, fromArg: 41, ids: `ctx|consume|consume|true|1` });
    assert.deepEqual(await returned('ctx', runId, 'classic'), { ...common, fromArg: 'none', ids: `ctx|classic|classic|true|1` });
  });
});

describe('secrets in task logs', () => {
  test('sensitive Variable values, connection passwords and sensitive extra fields are *** in the log and the rendered fields', async () => {
    s.writeDag(
      'leaky.ts',
      `import { DAG, task, Variable, Connection, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'leaky', schedule: null, start_date: '2024-01-01' }, () => {
         task(async function leak() {
           const pw = await Variable.get('db_password');
           console.log('the password is ' + pw);
           const json = await Variable.getJson('api_secret_json');
           console.log('inner ' + json.key + ' user ' + json.user);
           const c = await Connection.get('secure');
           console.log('conn password ' + c.password + ' token ' + c.extra_dejson.api_token + ' region ' + c.extra_dejson.region);
           process.stderr.write('stderr ' + pw + '\\n');
           console.log('bucket ' + (await Variable.get('bucket')));
           throw new Error('failing with ' + pw);
         })();
         new BashOperator({ task_id: 'templated', bash_command: 'echo "var {{ var.value.db_password }} conn {{ conn.secure.password }} host {{ conn.secure.host }}"' });
       });`,
    );
    await s.waitForDag('leaky');
    const runId = await trigger('leaky');
    assert.equal(await s.waitForRun('leaky', runId), 'failed');

    const leak = logFile('leaky', runId, 'leak');
    for (const secret of Object.values(SECRETS)) assert.ok(!leak.includes(secret), `${secret} leaked into the log:\n${leak}`);
    assert.match(leak, /the password is \*\*\*$/m);
    assert.match(leak, /inner \*\*\* user svc$/m, 'every string of a sensitive JSON Variable is masked, other text is not');
    assert.match(leak, /conn password \*\*\* token \*\*\* region eu-west-1$/m);
    assert.match(leak, /\{stderr\} WARNING - stderr \*\*\*$/m);
    assert.match(leak, /bucket my-bucket$/m, 'values of ordinary Variables stay readable');
    assert.match(leak, /Error: failing with \*\*\*/);

    const bash = logFile('leaky', runId, 'templated');
    assert.ok(!bash.includes(SECRETS.variable) && !bash.includes(SECRETS.password), bash);
    assert.match(bash, /var \*\*\* conn \*\*\* host api\.internal$/m);
    const ti = await s.api('GET', `/api/v2/dags/leaky/dagRuns/${encodeURIComponent(runId)}/taskInstances/templated`);
    assert.equal(ti.body.rendered_fields.bash_command, 'echo "var *** conn *** host api.internal"');
  });
});

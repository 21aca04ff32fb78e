/**
 * DAG params at trigger time: conf is checked against the params' schema
 * (merged over their defaults, as Airflow's create_dagrun does) before any
 * run exists; tasks see the defaults with conf over them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DAG, Param } from '@updraft/sdk';
import { resolveParams } from '../src/task-runner/task-context.ts';
import { startStandalone, type TestStandalone } from './helpers.ts';

let s: TestStandalone;

before(async () => {
  s = await startStandalone();
  s.writeDag(
    'with_params.ts',
    `import { DAG, BashOperator, Param } from '@updraft/sdk';
     export default new DAG({
       dag_id: 'with_params',
       schedule: null,
       start_date: '2024-01-01',
       params: {
         n: new Param(5, { type: 'integer', minimum: 1, maximum: 10 }),
         env: new Param('dev', { enum: ['dev', 'prod'] }),
         tag: new Param('v1', { type: 'string', pattern: '^v[0-9]+$' }),
         name: new Param(undefined, { type: 'string', minLength: 2, description: 'required: no default' }),
         maybe: new Param(null, { type: ['null', 'string'] }),
         plain: 'x',
       },
     }, () => {
       new BashOperator({ task_id: 'show', bash_command: 'echo "n={{ params.n }} env={{ params.env }} tag={{ params.tag }} name={{ params.name }} maybe={{ params.maybe }} plain={{ params.plain }} extra={{ params.extra | default(\\'-\\') }}"' });
     });`,
  );
  await s.waitForDag('with_params');
});
after(async () => {
  await s?.close();
});

async function runCount(): Promise<number> {
  return (await s.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM dag_run WHERE dag_id = 'with_params'")).rows[0].n;
}

describe('trigger-time params validation', () => {
  const refused: [why: string, conf: Record<string, unknown>, detail: RegExp][] = [
    ['wrong type', { name: 'al', n: '7' }, /Invalid input for param 'n': "7" is not of type 'integer'/],
    ['not an integer', { name: 'al', n: 7.5 }, /param 'n': 7\.5 is not of type 'integer'/],
    ['below the minimum', { name: 'al', n: 0 }, /param 'n': 0 is less than the minimum of 1/],
    ['above the maximum', { name: 'al', n: 11 }, /param 'n': 11 is greater than the maximum of 10/],
    ['not in the enum', { name: 'al', env: 'staging' }, /param 'env': "staging" is not one of \["dev","prod"\]/],
    ['not matching the pattern', { name: 'al', tag: 'x1' }, /param 'tag': "x1" does not match '\^v\[0-9\]\+\$'/],
    ['a required param missing', { n: 3 }, /param 'name': no value passed and the param has no default value/],
    ['too short', { name: 'a' }, /param 'name': "a" is too short/],
    ['outside a union of types', { name: 'al', maybe: 5 }, /param 'maybe': 5 is not of type 'null', 'string'/],
  ];
  for (const [why, conf, detail] of refused) {
    test(`conf with a param ${why} is a 400 naming the param, and creates no run`, async () => {
      const before = await runCount();
      const res = await s.api('POST', '/api/v2/dags/with_params/dagRuns', { logical_date: null, conf });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.detail, detail);
      assert.equal(await runCount(), before);
    });
  }

  test('valid conf starts a run whose tasks see the defaults with conf over them', async () => {
    const before = await runCount();
    const res = await s.api('POST', '/api/v2/dags/with_params/dagRuns', { dag_run_id: 'valid_conf', logical_date: null, conf: { name: 'alice', n: 7, maybe: 'yes', extra: 'not a param' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await runCount(), before + 1);
    const runId = res.body.dag_run_id as string;
    const log = () => s.api('GET', `/api/v2/dags/with_params/dagRuns/${encodeURIComponent(runId)}/taskInstances/show/logs/1`, undefined, { accept: 'text/plain' }).then((r) => r.body);
    assert.equal(await s.waitForRun('with_params', runId), 'success', await log());
    const ti = await s.api('GET', `/api/v2/dags/with_params/dagRuns/${encodeURIComponent(runId)}/taskInstances/show`);
    assert.equal(ti.body.rendered_fields.bash_command, 'echo "n=7 env=dev tag=v1 name=alice maybe=yes plain=x extra=not a param"');
  });

  test('defaults alone are valid when every param has one: a null default of a nullable param prints None', async () => {
    const res = await s.api('POST', '/api/v2/dags/with_params/dagRuns', { dag_run_id: 'defaults_only', logical_date: null, conf: { name: 'bob' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const runId = res.body.dag_run_id as string;
    assert.equal(await s.waitForRun('with_params', runId), 'success');
    const ti = await s.api('GET', `/api/v2/dags/with_params/dagRuns/${encodeURIComponent(runId)}/taskInstances/show`);
    assert.equal(ti.body.rendered_fields.bash_command, 'echo "n=5 env=dev tag=v1 name=bob maybe=None plain=x extra=-"');
  });
});

describe('params in the task context', () => {
  const dag = new DAG({ dag_id: 'params_unit', schedule: null, params: { a: new Param(1, { type: 'integer' }), b: 'text' } });

  test('conf overrides params when [core] dag_run_conf_overrides_params is true', () => {
    assert.deepEqual(resolveParams(dag, { a: 2, c: 'extra' }, true), { a: 2, b: 'text', c: 'extra' });
  });

  test('conf leaves params alone when it is false', () => {
    assert.deepEqual(resolveParams(dag, { a: 2, c: 'extra' }, false), { a: 1, b: 'text' });
  });
});

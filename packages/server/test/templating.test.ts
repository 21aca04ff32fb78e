/**
 * Templates as Airflow users write them. The table renders through the task
 * runner's own code (context built as run-task builds it, data that would be
 * fetched from the api-server given literally); the end-to-end tests run DAGs
 * whose operator arguments are JSON documents and template files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BaseOperator, BashOperator, DAG, Param, type Context } from '@updraft/sdk';
import type { TaskRuntime } from '@updraft/sdk/runtime';
import { ExecutionClient, type StartResponse } from '../src/task-runner/execution-client.ts';
import { TaskLookups } from '../src/task-runner/lookups.ts';
import { renderTemplateFields } from '../src/task-runner/render-fields.ts';
import { SecretsMasker } from '../src/task-runner/secrets-masker.ts';
import { buildContext } from '../src/task-runner/task-context.ts';
import { templateContext } from '../src/task-runner/template-context.ts';
import { TemplateData } from '../src/task-runner/template-data.ts';
import { makeEnvironment, renderValue } from '../src/task-runner/templating.ts';
import type { PullingTask } from '../src/task-runner/xcom-select.ts';
import { startStandalone, type TestStandalone } from './helpers.ts';

const SELF: PullingTask = { dag_id: 'emr_pipeline', run_id: 'scheduled__2024-01-05T00:00:00+00:00', task_id: 'render_me', date: '2024-01-05T00:00:00.000Z' };

const START: StartResponse = {
  dag_run: {
    dag_id: SELF.dag_id,
    run_id: SELF.run_id,
    run_type: 'scheduled',
    logical_date: '2024-01-05T00:00:00.000Z',
    data_interval_start: '2024-01-04T00:00:00.000Z',
    data_interval_end: '2024-01-05T00:00:00.000Z',
    run_after: '2024-01-05T00:00:00.000Z',
    start_date: '2024-01-05T00:00:05.000Z',
    conf: { airflow_email: 'ops@example.com', override_me: 'from conf' },
  },
  max_tries: 2,
  prev_data_interval_start_success: '2024-01-03T00:00:00.000Z',
  prev_data_interval_end_success: '2024-01-04T00:00:00.000Z',
};

// What the api-server would return; the templates' lookups read only this.
const DATA = {
  variables: { release_label: 'emr-6.2.0', bootstrap_bucket: 'my-bootstrap', cfg: '{"a": {"b": 7}, "list": [1, 2]}', missing_json: null },
  connections: {
    my_db: {
      conn_id: 'my_db', conn_type: 'postgres', host: 'db.internal', schema: 'sales', login: 'etl', password: 'pw-1234', port: 5432,
      extra: '{"region": "eu-west-1"}', extra_dejson: { region: 'eu-west-1' },
    },
  },
  xcoms: [
    {
      source: { kind: 'run' as const, dag_id: SELF.dag_id, run_id: SELF.run_id },
      entries: [
        { task_id: 'create_job_flow', map_index: -1, key: 'return_value', value: 'j-ABC123' },
        { task_id: 'add_steps', map_index: -1, key: 'return_value', value: ['s-STEP1', 's-STEP2'] },
        { task_id: 'add_steps', map_index: -1, key: 'cluster', value: { id: 'j-ABC123', size: 3 } },
        { task_id: 'mapped', map_index: 1, key: 'return_value', value: 'm1' },
        { task_id: 'mapped', map_index: 0, key: 'return_value', value: 'm0' },
      ],
    },
    {
      // another DAG's run of the same logical date
      source: { kind: 'date' as const, dag_id: 'upstream_dag', date: SELF.date, include_prior_dates: false },
      entries: [{ task_id: 'publish', map_index: -1, key: 'return_value', value: 'from upstream_dag' }],
    },
    {
      // this DAG's latest values up to this run (include_prior_dates)
      source: { kind: 'date' as const, dag_id: SELF.dag_id, date: SELF.date, include_prior_dates: true },
      entries: [{ task_id: 'watermark', map_index: -1, key: 'return_value', value: '2024-01-03', run_id: 'scheduled__2024-01-03T00:00:00+00:00' }],
    },
  ],
};

/** A runtime for contexts rendered without a task process: templates must not call it. */
const noRuntime: TaskRuntime = {
  log: { debug() {}, info() {}, warning() {}, error() {} },
  getVariable: () => Promise.reject(new Error('templates must not fetch while rendering')),
  setVariable: () => Promise.reject(new Error('not in this test')),
  getConnection: () => Promise.reject(new Error('templates must not fetch while rendering')),
  xcomPush: () => Promise.reject(new Error('not in this test')),
  xcomPull: () => Promise.reject(new Error('templates must not fetch while rendering')),
  skip: () => Promise.reject(new Error('not in this test')),
};

function makeTask(options: { dag_id?: string; native?: boolean; template_searchpath?: string[]; params?: Record<string, unknown> } = {}) {
  let task!: BaseOperator;
  const dag = new DAG(
    {
      dag_id: options.dag_id ?? SELF.dag_id,
      schedule: null,
      start_date: '2024-01-01',
      render_template_as_native_obj: options.native ?? false,
      template_searchpath: options.template_searchpath ?? null,
      params: options.params ?? { env: 'prod', count: new Param(3, { type: 'integer' }), flag: true, nothing: null, override_me: 'default' },
    },
    () => {
      task = new BashOperator({ task_id: SELF.task_id, bash_command: 'echo' });
    },
  );
  return { dag, task, context: buildContext(dag, task, { ...SELF, try_number: 1, map_index: -1 }, START, noRuntime, new AbortController().signal) };
}

function render(template: string, native = false): unknown {
  const { context } = makeTask({ native });
  const ctx = templateContext(context, TemplateData.of(DATA), SELF, () => undefined);
  return renderValue(makeEnvironment([]), template, ctx, { templateExt: [], native });
}

describe('template strings render as in Airflow', () => {
  const table: [template: string, expected: string | RegExp][] = [
    // the reference pipelines
    ['{{ var.value.release_label }}', 'emr-6.2.0'],
    ['s3://{{ var.value.bootstrap_bucket }}/bootstrap_actions.sh', 's3://my-bootstrap/bootstrap_actions.sh'],
    ["{{ dag_run.conf['airflow_email'] }}", 'ops@example.com'],
    ["{{ task_instance.xcom_pull(task_ids='create_job_flow', key='return_value') }}", 'j-ABC123'],
    ["{{ task_instance.xcom_pull('create_job_flow', key='return_value') }}", 'j-ABC123'],
    ["{{ task_instance.xcom_pull(task_ids='add_steps', key='return_value')[0] }}", 's-STEP1'],
    // xcom_pull's other arguments
    ["{{ ti.xcom_pull(task_ids=['create_job_flow', 'add_steps']) }}", "['j-ABC123', ['s-STEP1', 's-STEP2']]"],
    ["{{ ti.xcom_pull(task_ids='add_steps', key='cluster').size }}", '3'],
    ["{{ ti.xcom_pull(task_ids='add_steps')[-1] }}", 's-STEP2'],
    ["{{ ti.xcom_pull(task_ids='mapped') }}", "['m0', 'm1']"],
    ["{{ ti.xcom_pull(task_ids='mapped', map_indexes=1) }}", 'm1'],
    ["{{ ti.xcom_pull(task_ids='publish', dag_id='upstream_dag') }}", 'from upstream_dag'],
    ["{{ ti.xcom_pull('publish', 'upstream_dag') }}", 'from upstream_dag'],
    ["{{ ti.xcom_pull(task_ids='watermark', include_prior_dates=True) }}", '2024-01-03'],
    ["{{ ti.xcom_pull(task_ids='never_ran') }}", 'None'],
    ["{{ ti.xcom_pull(task_ids='never_ran', default='fallback') }}", 'fallback'],
    // var and conn
    ['{{ var.json.cfg.a.b }}', '7'],
    ['{{ var.json.cfg.list[1] }}', '2'],
    ["{{ var.value.get('missing_json', 'fallback') }}", 'fallback'],
    ["{{ var.value.get('missing_json', default_var='kw fallback') }}", 'kw fallback'],
    ["{{ var.json.get('missing_json', {'x': 1}).x }}", '1'],
    ["{{ var.value['release_label'] }}", 'emr-6.2.0'],
    ['{{ conn.my_db.host }}:{{ conn.my_db.port }}/{{ conn.my_db.schema }}', 'db.internal:5432/sales'],
    ['{{ conn.my_db.login }} {{ conn.my_db.password }} {{ conn.my_db.conn_type }}', 'etl pw-1234 postgres'],
    ['{{ conn.my_db.extra_dejson.region }} {{ conn.my_db.extra }}', 'eu-west-1 {"region": "eu-west-1"}'],
    ["{{ conn.get('my_db').host }}", 'db.internal'],
    // the run's dates and names
    ['{{ ds }} {{ ds_nodash }}', '2024-01-05 20240105'],
    ['{{ ts }} {{ ts_nodash }}', '2024-01-05T00:00:00+00:00 20240105T000000'],
    ['{{ logical_date }}', '2024-01-05 00:00:00+00:00'],
    ['{{ data_interval_start | ds }}..{{ data_interval_end | ds }}', '2024-01-04..2024-01-05'],
    ['{{ prev_data_interval_start_success | ds }} {{ prev_data_interval_end_success | ds }}', '2024-01-03 2024-01-04'],
    ['{{ run_id }} {{ dag_run.run_id }}', `${SELF.run_id} ${SELF.run_id}`],
    ['{{ dag.dag_id }}.{{ task.task_id }} try {{ ti.try_number }}/{{ ti.max_tries }} {{ task_instance.task_id }}', `${SELF.dag_id}.render_me try 1/2 render_me`],
    ["{{ logical_date.strftime('%Y/%m/%d %H:%M') }} {{ logical_date.year }}", '2024/01/05 00:00 2024'],
    // params: defaults, conf over them (dag_run_conf_overrides_params), None and booleans printed as Python does
    ['{{ params.env }} {{ params.count + 1 }} {{ params.override_me }}', 'prod 4 from conf'],
    ['{{ params.nothing }} {{ params.flag }} {{ None }}', 'None True None'],
    ["{{ params['env'] }}", 'prod'],
    // macros
    ['{{ macros.ds_add(ds, 7) }} {{ macros.ds_add(ds, -5) }}', '2024-01-12 2023-12-31'],
    ["{{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%y') }} {{ macros.ds_format('20240105', '%Y%m%d', '%B %d, %Y') }}", '05/01/24 January 05, 2024'],
    ["{{ macros.datetime(2024, 2, 29).strftime('%j %A') }}", '060 Thursday'],
    ["{{ (logical_date - macros.timedelta(days=1)).strftime('%Y-%m-%d') }} {{ logical_date + macros.timedelta(hours=36) }}", '2024-01-04 2024-01-06 12:00:00+00:00'],
    ['{{ macros.timedelta(days=1, hours=2) }}', '1 day, 2:00:00'],
    ["{{ macros.datetime.strptime('2024-03-01 10:30', '%Y-%m-%d %H:%M') | ts }}", '2024-03-01T10:30:00+00:00'],
    ['{{ macros.uuid.uuid4() }}', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
    ['{{ macros.random() < 1 }}', 'True'],
    // filters
    ['{{ logical_date | ds }} {{ logical_date | ds_nodash }} {{ logical_date | ts }} {{ logical_date | ts_nodash }}', '2024-01-05 20240105 2024-01-05T00:00:00+00:00 20240105T000000'],
    ['{{ dag_run.conf | tojson }}', '{"airflow_email": "ops@example.com", "override_me": "from conf"}'],
    ["{{ {'b': [1, None], 'a': 'x<y'} | tojson }}", '{"a": "x\\u003cy", "b": [1, null]}'],
    // Jinja itself
    ['{% for i in range(3) %}step_{{ i }};{% endfor %}', 'step_0;step_1;step_2;'],
    ['{% for i in range(1, 7, 2) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}', '1,3,5'],
    ["{{ x | default('y') }} {{ params.absent | default('d') }}", 'y d'],
    ["{{ dag_run.conf.get('absent', 'via get') }} {{ dag_run.conf.get('airflow_email') }}", 'via get ops@example.com'],
    ["{{ ds.replace('-', '/') }} {{ 'A,B'.split(',') }} {{ ' x '.strip() }}|{{ 'abc'.upper() }}", "2024/01/05 ['A', 'B'] x|ABC"],
    ["{{ '%s-%05d' % ('run', 42) }} {{ '{}:{name}'.format(1, name='n') }}", 'run-00042 1:n'],
    ['{{ params.nothing is none }} {{ x is defined }} {{ params }}', "True False {'env': 'prod', 'count': 3, 'flag': True, 'nothing': None, 'override_me': 'from conf', 'airflow_email': 'ops@example.com'}"],
    ["{% set parts = ['a', 'b'] %}{{ parts | join('-') }} {{ parts | length }}", 'a-b 2'],
  ];
  for (const [template, expected] of table) {
    test(template, () => {
      const out = render(template);
      if (expected instanceof RegExp) assert.match(String(out), expected);
      else assert.equal(out, expected);
    });
  }

  test('an undefined name fails; Jinja-style messages say what is missing', () => {
    assert.throws(() => render('echo {{ foo }}'), /'foo' is undefined/);
    assert.throws(() => render('{{ foo.bar }}'), /'foo' is undefined/);
    assert.throws(() => render('{{ dag_run.conf.nope }}'), /'dict object' has no attribute 'nope'/);
    assert.throws(() => render('{{ undefined_macro(1) }}'), /'undefined_macro' is undefined/);
    assert.throws(() => render("{{ ti.xcom_pull(task_ids='add_steps')[5] }}"), /list object has no element 5/);
    assert.throws(() => render('{{ var.value.missing_json }}'), /Variable missing_json does not exist/);
  });

  test('render_template_as_native_obj renders native values', () => {
    assert.deepEqual(render('[1, 2]', true), [1, 2]);
    assert.deepEqual(render('{"a": 1}', true), { a: 1 });
    assert.deepEqual(render("{'a': [1, 'x', None, True]}", true), { a: [1, 'x', null, true] });
    assert.equal(render('{{ params.count }}', true), 3);
    assert.equal(render('{{ params.count * 2 }}', true), 6);
    assert.equal(render('42', true), 42);
    assert.equal(render('{{ params.flag }}', true), true);
    assert.equal(render('{{ params.nothing }}', true), null);
    assert.deepEqual(render("{{ ti.xcom_pull(task_ids='add_steps') }}", true), ['s-STEP1', 's-STEP2']);
    assert.deepEqual(render("{{ var.value.cfg }}", true), { a: { b: 7 }, list: [1, 2] });
    assert.deepEqual(render('{"count": {{ params.count }}, "env": "{{ params.env }}"}', true), { count: 3, env: 'prod' });
    assert.equal(render('run {{ params.count }}', true), 'run 3');
    assert.ok(render('{{ logical_date }}', true) instanceof Date);
    // without the option, the same templates stay strings
    assert.equal(render('{{ params.count }}'), '3');
    assert.equal(render('[1, 2]'), '[1, 2]');
  });
});

describe('template fields of a task', () => {
  const lookupsThatMustNotBeUsed = new TaskLookups(new ExecutionClient('http://127.0.0.1:9', 'unused'), new SecretsMasker());

  function renderTask(task: BaseOperator, dag: DAG, context: Context, dagFile: string) {
    return renderTemplateFields({ task, dag, context, self: SELF, dagFile, lookups: lookupsThatMustNotBeUsed }, TemplateData.of(DATA));
  }

  test('nested objects and arrays are rendered, other values kept; the task gets the rendered values', async () => {
    const { dag, task, context } = makeTask();
    const fields = task as unknown as { env: unknown };
    fields.env = {
      ReleaseLabel: '{{ var.value.release_label }}',
      Steps: [{ Name: 'step {{ ds }}', Args: ['--id', "{{ ti.xcom_pull(task_ids='create_job_flow') }}", 5, true, null] }],
    };
    const rendered = await renderTask(task, dag, context, '/nowhere/dag.ts');
    const expected = { ReleaseLabel: 'emr-6.2.0', Steps: [{ Name: 'step 2024-01-05', Args: ['--id', 'j-ABC123', 5, true, null] }] };
    assert.deepEqual(rendered.env, expected);
    assert.deepEqual(fields.env, expected);
  });

  test('an undefined name fails with the task, the field and the template named', async () => {
    const { dag, task, context } = makeTask();
    (task as BashOperator).bash_command = 'echo {{ foo }}';
    await assert.rejects(renderTask(task, dag, context, '/nowhere/dag.ts'), {
      message: "Could not render template field 'bash_command' of task 'render_me': 'foo' is undefined. Template: 'echo {{ foo }}'",
    });
  });

  test('a field naming a file with a template_ext extension renders the file, found next to the DAG or in template_searchpath', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-tpl-'));
    try {
      fs.mkdirSync(path.join(dir, 'sql'));
      fs.writeFileSync(path.join(dir, 'cleanup.sh'), 'echo "cleaning {{ ds }} for {{ dag_run.conf.airflow_email }}"\n');
      fs.writeFileSync(path.join(dir, 'sql', 'load.sh'), 'psql -h {{ conn.my_db.host }} -c "select {{ params.count }}"\n');
      const { dag, task, context } = makeTask({ template_searchpath: ['sql'] });
      const bash = task as BashOperator;
      bash.bash_command = 'cleanup.sh';
      assert.equal((await renderTask(task, dag, context, path.join(dir, 'dag.ts'))).bash_command, 'echo "cleaning 2024-01-05 for ops@example.com"\n');
      bash.bash_command = 'load.sh';
      assert.equal((await renderTask(task, dag, context, path.join(dir, 'dag.ts'))).bash_command, 'psql -h db.internal -c "select 3"\n');
      fs.writeFileSync(path.join(dir, 'broken.sh'), 'echo ok\necho {{ nope }}\n');
      bash.bash_command = 'broken.sh';
      await assert.rejects(renderTask(task, dag, context, path.join(dir, 'dag.ts')), {
        message: `Could not render template field 'bash_command' of task 'render_me': 'nope' is undefined (in ${path.join(dir, 'broken.sh')}, line 2). Template: 'broken.sh'`,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- end to end

let s: TestStandalone;

/** An operator with a JSON-document argument, as Amazon's EMR operators take job_flow_overrides and steps. */
const EMR_LIKE_OPERATOR = `
class EmrLikeOperator extends BaseOperator {
  static template_fields = ['job_flow_overrides'];
  static template_ext = ['.json'];
  constructor(options) {
    super(options);
    this.job_flow_overrides = options.job_flow_overrides;
  }
  execute(context) {
    context.log.info('job_flow_overrides=' + JSON.stringify(this.job_flow_overrides));
    return typeof this.job_flow_overrides;
  }
}`;

const trigger = (dagId: string, body: Record<string, unknown> = {}) => s.trigger(dagId, body);

async function renderedFields(dagId: string, runId: string, taskId: string) {
  const res = await s.api('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`);
  assert.equal(res.status, 200);
  return res.body.rendered_fields;
}

function taskLog(dagId: string, runId: string, taskId: string): string {
  return fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=${dagId}/run_id=${runId}/task_id=${taskId}/attempt=1.log`), 'utf8');
}

describe('end to end', () => {
  before(async () => {
    s = await startStandalone();
    for (const [key, value] of [['release_label', 'emr-6.2.0'], ['bootstrap_bucket', 'my-bootstrap'], ['chosen', 'picked at render time']]) {
      const res = await s.api('POST', '/api/v2/variables', { key, value });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const conn = await s.api('POST', '/api/v2/connections', { connection_id: 'warehouse', conn_type: 'postgres', host: 'wh.internal', port: 5439 });
    assert.equal(conn.status, 201, JSON.stringify(conn.body));
  });
  after(async () => {
    await s?.close();
  });

  test('an operator argument that is a JSON document with templates is fully rendered', async () => {
    s.writeDag(
      'emr_json.ts',
      `import { DAG, BaseOperator, BashOperator } from '@updraft/sdk';
       ${EMR_LIKE_OPERATOR}
       export default new DAG({ dag_id: 'emr_json', schedule: null, start_date: '2024-01-01', params: { var_name: 'chosen' } }, () => {
         const create = new BashOperator({ task_id: 'create_job_flow', bash_command: 'echo j-CLUSTER42' });
         const steps = new BashOperator({ task_id: 'add_steps', bash_command: 'echo \\'["s-1", "s-2"]\\'' });
         const configure = new EmrLikeOperator({
           task_id: 'configure',
           job_flow_overrides: {
             Name: 'cluster-{{ ds_nodash }}',
             ReleaseLabel: '{{ var.value.release_label }}',
             BootstrapActions: [{ Name: 'bootstrap', ScriptBootstrapAction: { Path: 's3://{{ var.value.bootstrap_bucket }}/bootstrap_actions.sh', Args: [] } }],
             Tags: [{ Key: 'email', Value: "{{ dag_run.conf['airflow_email'] }}" }],
             Cluster: "{{ task_instance.xcom_pull('create_job_flow', key='return_value') }}",
             Steps: "{{ task_instance.xcom_pull(task_ids='add_steps', key='return_value') }}",
             Database: '{{ conn.warehouse.host }}:{{ conn.warehouse.port }}',
             Chosen: '{{ var.value.get(params.var_name) }}',
             Instances: { Count: 3, KeepAlive: false },
           },
         });
         create.then(steps).then(configure);
       });`,
    );
    await s.waitForDag('emr_json');
    const runId = await trigger('emr_json', { conf: { airflow_email: 'ops@example.com' } });
    assert.equal(await s.waitForRun('emr_json', runId), 'success');
    const ds = runId.slice('manual__'.length, 'manual__'.length + 10).replaceAll('-', '');
    const expected = {
      Name: `cluster-${ds}`,
      ReleaseLabel: 'emr-6.2.0',
      BootstrapActions: [{ Name: 'bootstrap', ScriptBootstrapAction: { Path: 's3://my-bootstrap/bootstrap_actions.sh', Args: [] } }],
      Tags: [{ Key: 'email', Value: 'ops@example.com' }],
      Cluster: 'j-CLUSTER42',
      Steps: '["s-1", "s-2"]',
      Database: 'wh.internal:5439',
      Chosen: 'picked at render time',
      Instances: { Count: 3, KeepAlive: false },
    };
    assert.deepEqual((await renderedFields('emr_json', runId, 'configure')).job_flow_overrides, expected);
    assert.ok(taskLog('emr_json', runId, 'configure').includes(`job_flow_overrides=${JSON.stringify(expected)}`));
  });

  test('a .json template file next to the DAG is rendered, into native values with render_template_as_native_obj', async () => {
    fs.writeFileSync(
      path.join(s.dagsFolder, 'cluster_overrides.json'),
      `{
  "Name": "cluster-{{ ds_nodash }}",
  "ReleaseLabel": "{{ var.value.release_label }}",
  "Instances": {"InstanceCount": {{ params.instance_count }}, "KeepJobFlowAliveWhenNoSteps": false},
  "Steps": {{ ti.xcom_pull(task_ids='make_steps') | tojson }}
}
`,
    );
    s.writeDag(
      'emr_file.ts',
      `import { DAG, BaseOperator, task } from '@updraft/sdk';
       ${EMR_LIKE_OPERATOR}
       export default new DAG({ dag_id: 'emr_file', schedule: null, start_date: '2024-01-01', render_template_as_native_obj: true, params: { instance_count: 4 } }, () => {
         const makeSteps = task(function make_steps() { return [{ Name: 'etl', Jar: 'command-runner.jar' }]; });
         makeSteps().then(new EmrLikeOperator({ task_id: 'from_file', job_flow_overrides: 'cluster_overrides.json' }));
       });`,
    );
    await s.waitForDag('emr_file');
    const runId = await trigger('emr_file');
    assert.equal(await s.waitForRun('emr_file', runId), 'success');
    const ds = runId.slice('manual__'.length, 'manual__'.length + 10).replaceAll('-', '');
    const expected = {
      Name: `cluster-${ds}`,
      ReleaseLabel: 'emr-6.2.0',
      Instances: { InstanceCount: 4, KeepJobFlowAliveWhenNoSteps: false },
      Steps: [{ Jar: 'command-runner.jar', Name: 'etl' }],
    };
    assert.deepEqual((await renderedFields('emr_file', runId, 'from_file')).job_flow_overrides, expected);
    const log = taskLog('emr_file', runId, 'from_file');
    assert.ok(log.includes(`job_flow_overrides=${JSON.stringify(expected)}`), log);
    const xcom = await s.db.pool.query("SELECT value FROM xcom WHERE dag_id = 'emr_file' AND run_id = $1 AND task_id = 'from_file'", [runId]);
    assert.equal(xcom.rows[0].value, 'object', 'the operator received an object, not text');
  });

  test('a template error fails the task, naming the task, the field and the template', async () => {
    s.writeDag(
      'bad_template.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'bad_template', schedule: null, start_date: '2024-01-01' }, () => {
         new BashOperator({ task_id: 'oops', bash_command: 'echo {{ no_such_name }}' });
       });`,
    );
    await s.waitForDag('bad_template');
    const runId = await trigger('bad_template');
    assert.equal(await s.waitForRun('bad_template', runId), 'failed');
    assert.match(taskLog('bad_template', runId, 'oops'), /Could not render template field 'bash_command' of task 'oops': 'no_such_name' is undefined\. Template: 'echo \{\{ no_such_name \}\}'/);
  });

  test('xcom_pull from another DAG reads its run of the same logical date', async () => {
    s.writeDag(
      'cross_dag.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       new DAG({ dag_id: 'producer', schedule: null, start_date: '2024-01-01' }, () => {
         new BashOperator({ task_id: 'publish', bash_command: 'echo published-{{ ds }}' });
       });
       new DAG({ dag_id: 'consumer', schedule: null, start_date: '2024-01-01' }, () => {
         new BashOperator({ task_id: 'read', bash_command: "echo got {{ ti.xcom_pull(task_ids='publish', dag_id='producer') }} / {{ ti.xcom_pull(task_ids='publish', dag_id='producer', include_prior_dates=True) }}" });
       });`,
    );
    await s.waitForDag('producer');
    await s.waitForDag('consumer');
    const day = '2024-02-01T00:00:00+00:00';
    assert.equal(await s.waitForRun('producer', await trigger('producer', { logical_date: day })), 'success');
    const same = await trigger('consumer', { logical_date: day });
    const later = await trigger('consumer', { logical_date: '2024-02-03T00:00:00+00:00' });
    assert.equal(await s.waitForRun('consumer', same), 'success');
    assert.equal(await s.waitForRun('consumer', later), 'success');
    assert.equal((await renderedFields('consumer', same, 'read')).bash_command, 'echo got published-2024-02-01 / published-2024-02-01');
    // a later run has no producer run of its date; include_prior_dates finds the latest earlier one
    assert.equal((await renderedFields('consumer', later, 'read')).bash_command, 'echo got None / published-2024-02-01');
  });
});

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  BashOperator,
  DAG,
  DagDefinitionError,
  EmptyOperator,
  Param,
  PythonOperator,
  SERIALIZATION_VERSION,
  formatTimedelta,
  resetDagRegistry,
  serializeDag,
  task,
  type DagOptions,
  type TriggerRule,
} from '@updraft/sdk';

beforeEach(() => resetDagRegistry());

const FILE = 'dags/x.ts';

function serialize(options: DagOptions, build?: (dag: DAG) => void) {
  return serializeDag(new DAG(options, build), FILE);
}

/** Asserts that serializing throws a DagDefinitionError whose message is exactly `message`. */
function assertDefinitionError(build: () => DAG, message: string | RegExp): void {
  const d = build();
  assert.throws(
    () => serializeDag(d, FILE),
    (error: unknown) => {
      assert.ok(error instanceof DagDefinitionError, `expected DagDefinitionError, got ${String(error)}`);
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      assert.equal(error.fileloc, FILE);
      assert.equal(error.dag_id, d.dag_id);
      return true;
    },
  );
}

describe('serializeDag', () => {
  it('produces the contract JSON for a typical DAG', () => {
    const onFailure = () => {};
    const s = serialize(
      {
        dag_id: 'example',
        description: 'desc',
        schedule: '@daily',
        start_date: '2021-01-01',
        end_date: new Date('2022-01-01T12:00:00Z'),
        timezone: 'Europe/Amsterdam',
        catchup: true,
        tags: ['example'],
        params: { plain: 'v', typed: new Param(3, { description: 'a number', type: 'integer', minimum: 1 }) },
        max_active_runs: 2,
        max_active_tasks: 4,
        dagrun_timeout: { minutes: 60 },
        doc_md: '# doc',
        is_paused_upon_creation: false,
        render_template_as_native_obj: true,
        template_searchpath: '/tmp/templates',
        on_failure_callback: onFailure,
        default_args: { owner: 'team', on_failure_callback: onFailure, execution_timeout: { hours: 1 } },
      },
      () => {
        const a = new BashOperator({
          task_id: 'a',
          bash_command: 'echo hi',
          env: { X: '1' },
          cwd: '/tmp',
          email: 'a@x.com; b@y.com',
          on_success_callback: [() => {}],
          doc_md: 'task doc',
        });
        a.then(new EmptyOperator({ task_id: 'b', trigger_rule: 'all_done', wait_for_downstream: true }));
      },
    );
    assert.equal(s.serialization_version, SERIALIZATION_VERSION);
    assert.equal(s.fileloc, FILE);
    assert.deepEqual(s.schedule, { kind: 'cron', expression: '0 0 * * *' });
    assert.equal(s.schedule_text, '@daily');
    assert.equal(s.timezone, 'Europe/Amsterdam');
    assert.equal(s.start_date, '2021-01-01T00:00:00+01:00');
    assert.equal(s.end_date, '2022-01-01T13:00:00+01:00');
    assert.equal(s.catchup, true);
    assert.deepEqual(s.owners, ['team']);
    assert.deepEqual(s.params.plain, { value: 'v', description: null, schema: {} });
    assert.deepEqual(s.params.typed, { value: 3, description: 'a number', schema: { type: 'integer', minimum: 1 } });
    assert.equal(s.dagrun_timeout_seconds, 3600);
    assert.deepEqual(s.template_searchpath, ['/tmp/templates']);
    assert.equal(s.has_on_failure_callback, true);
    assert.equal(s.has_on_success_callback, false);
    assert.deepEqual(s.default_args, { owner: 'team', execution_timeout: 3600 }, 'functions dropped, durations in seconds');

    const [a, b] = s.tasks;
    assert.deepEqual(a, {
      task_id: 'a',
      operator: 'BashOperator',
      upstream_task_ids: [],
      downstream_task_ids: ['b'],
      owner: 'team',
      retries: 0,
      retry_delay_seconds: 300,
      retry_exponential_backoff: false,
      max_retry_delay_seconds: null,
      execution_timeout_seconds: 3600,
      trigger_rule: 'all_success',
      depends_on_past: false,
      wait_for_downstream: false,
      pool: 'default_pool',
      pool_slots: 1,
      priority_weight: 1,
      weight_rule: 'downstream',
      queue: 'default',
      email: ['a@x.com', 'b@y.com'],
      email_on_failure: true,
      email_on_retry: true,
      has_on_execute_callback: false,
      has_on_success_callback: true,
      has_on_failure_callback: true,
      has_on_retry_callback: false,
      has_on_skipped_callback: false,
      template_fields: ['bash_command', 'env', 'cwd'],
      template_ext: ['.sh', '.bash'],
      doc_md: 'task doc',
      is_empty: false,
      fields: {
        bash_command: 'echo hi',
        env: { X: '1' },
        append_env: false,
        cwd: '/tmp',
        skip_on_exit_code: [99],
        output_encoding: 'utf-8',
      },
    });
    assert.equal(b.operator, 'EmptyOperator');
    assert.equal(b.is_empty, true);
    assert.equal(b.trigger_rule, 'all_done');
    assert.equal(b.depends_on_past, true, 'wait_for_downstream implies depends_on_past');
    assert.deepEqual(b.upstream_task_ids, ['a']);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s, 'JSON round trip is lossless');
  });

  it('marks a param without default by leaving out `value` (allowed without schedule)', () => {
    const s = serialize({ dag_id: 'required', params: { p: new Param(undefined, { type: 'string' }), n: null } });
    assert.deepEqual(s.params.p, { description: null, schema: { type: 'string' } });
    assert.equal('value' in s.params.p, false);
    assert.deepEqual(s.params.n, { value: null, description: null, schema: {} });
  });

  it('fails when params without default meet a schedule', () => {
    assertDefinitionError(
      () => new DAG({ dag_id: 'req', schedule: '@daily', params: { p: new Param() } }),
      /params without a default value \(p\) need schedule null/,
    );
  });

  it('fails on a param default that breaks its schema', () => {
    assertDefinitionError(
      () => new DAG({ dag_id: 'param', params: { n: new Param('x', { type: 'integer' }) } }),
      `${FILE}: DAG 'param': invalid default for param 'n': "x" is not of type 'integer'`,
    );
  });

  it('serializes task fields of function operators and TaskFlow tasks JSON-safely', () => {
    const s = serialize({ dag_id: 'fn' }, () => {
      const extract = task(function extract() {
        return { a: 1 };
      });
      const load = task(function load(_value: unknown, _when: Date) {});
      load(extract(), new Date('2021-01-01T00:00:00Z'));
      new PythonOperator({ task_id: 'py', python_callable: function work() {}, op_kwargs: { n: 1, f: () => {} } });
    });
    const load = s.tasks.find((t) => t.task_id === 'load')!;
    assert.equal(load.operator, '_PythonDecoratedOperator');
    assert.deepEqual(load.template_fields, ['templates_dict', 'op_args', 'op_kwargs']);
    assert.deepEqual(load.fields, {
      python_callable: 'load',
      op_args: ["{{ task_instance.xcom_pull(task_ids='extract', dag_id='fn', key='return_value') }}", '2021-01-01T00:00:00.000Z'],
      op_kwargs: {},
      templates_dict: null,
    });
    const py = s.tasks.find((t) => t.task_id === 'py')!;
    assert.equal(py.operator, 'PythonOperator');
    assert.deepEqual(py.fields.op_kwargs, { n: 1 });
  });
});

describe('schedules', () => {
  const cases: [DagOptions['schedule'], unknown, string | null][] = [
    [null, { kind: 'none' }, null],
    [undefined, { kind: 'none' }, null],
    ['@once', { kind: 'once' }, '@once'],
    ['@continuous', { kind: 'continuous' }, '@continuous'],
    ['@hourly', { kind: 'cron', expression: '0 * * * *' }, '@hourly'],
    ['@daily', { kind: 'cron', expression: '0 0 * * *' }, '@daily'],
    ['@weekly', { kind: 'cron', expression: '0 0 * * 0' }, '@weekly'],
    ['@monthly', { kind: 'cron', expression: '0 0 1 * *' }, '@monthly'],
    ['@quarterly', { kind: 'cron', expression: '0 0 1 */3 *' }, '@quarterly'],
    ['@yearly', { kind: 'cron', expression: '0 0 1 1 *' }, '@yearly'],
    ['*/5  * * * MON-FRI', { kind: 'cron', expression: '*/5 * * * MON-FRI' }, '*/5  * * * MON-FRI'],
    [{ days: 1 }, { kind: 'delta', seconds: 86400 }, '1 day, 0:00:00'],
    [{ minutes: 30 }, { kind: 'delta', seconds: 1800 }, '0:30:00'],
    [3600, { kind: 'delta', seconds: 3600 }, '1:00:00'],
  ];
  for (const [input, schedule, text] of cases) {
    it(`normalizes ${JSON.stringify(input) ?? 'undefined'}`, () => {
      const s = serialize({ dag_id: 'sched', schedule: input });
      assert.deepEqual(s.schedule, schedule);
      assert.equal(s.schedule_text, text);
    });
  }

  it('formats durations like Python timedelta', () => {
    assert.equal(formatTimedelta(0), '0:00:00');
    assert.equal(formatTimedelta(86400 * 2 + 3723), '2 days, 1:02:03');
    assert.equal(formatTimedelta(1.5), '0:00:01.500000');
  });

  it('reads date-only and naive strings as wall time in the DAG timezone', () => {
    const ny = new DAG({ dag_id: 'ny', timezone: 'America/New_York', start_date: '2021-07-01T09:30' });
    assert.equal(ny.start_date?.toISOString(), '2021-07-01T13:30:00.000Z');
    assert.equal(serializeDag(ny, FILE).start_date, '2021-07-01T09:30:00-04:00');
    const offset = new DAG({ dag_id: 'offset', timezone: 'Asia/Tokyo', start_date: '2021-01-01T00:00:00Z' });
    assert.equal(serializeDag(offset, FILE).start_date, '2021-01-01T09:00:00+09:00');
  });
});

describe('parse errors name the file, the DAG and the problem', () => {
  it('cycle', () => {
    assertDefinitionError(
      () =>
        new DAG({ dag_id: 'my_dag' }, () => {
          const [a, b, c] = ['a', 'b', 'c'].map((task_id) => new EmptyOperator({ task_id }));
          a.then(b).then(c).then(a);
        }),
      `${FILE}: DAG 'my_dag': cycle detected: a -> b -> c -> a`,
    );
  });

  it('self-dependency', () => {
    assertDefinitionError(
      () =>
        new DAG({ dag_id: 'self' }, () => {
          const a = new EmptyOperator({ task_id: 'a' });
          a.then(a);
        }),
      `${FILE}: DAG 'self': cycle detected: a -> a`,
    );
  });

  it('duplicate task_id', () => {
    assertDefinitionError(
      () =>
        new DAG({ dag_id: 'dup' }, () => {
          new EmptyOperator({ task_id: 'extract' });
          new BashOperator({ task_id: 'extract', bash_command: 'true' });
        }),
      `${FILE}: DAG 'dup': duplicate task_id 'extract'`,
    );
  });

  it('invalid cron', () => {
    assertDefinitionError(
      () => new DAG({ dag_id: 'cron', schedule: '61 * * * *' }),
      `${FILE}: DAG 'cron': invalid schedule '61 * * * *': Invalid value for minute: 61`,
    );
    assertDefinitionError(() => new DAG({ dag_id: 'cron6', schedule: '0 0 0 * * *' }), /invalid schedule '0 0 0 \* \* \*': .*5 parts/);
    assertDefinitionError(() => new DAG({ dag_id: 'preset', schedule: '@sometimes' }), /invalid schedule '@sometimes': unknown preset/);
    assertDefinitionError(() => new DAG({ dag_id: 'zero', schedule: 0 }), /invalid schedule: a duration schedule must be longer than 0 seconds/);
  });

  it('bad trigger rule', () => {
    assertDefinitionError(
      () => new DAG({ dag_id: 'rules' }, () => new EmptyOperator({ task_id: 'a', trigger_rule: 'all_sucess' as TriggerRule })),
      /^dags\/x\.ts: DAG 'rules': task 'a': unknown trigger_rule 'all_sucess' \(expected one of all_success, all_failed, /,
    );
  });

  it('bad trigger rule set after construction', () => {
    assertDefinitionError(
      () =>
        new DAG({ dag_id: 'late' }, () => {
          const a = new EmptyOperator({ task_id: 'a' });
          a.trigger_rule = 'sometimes' as TriggerRule;
        }),
      /task 'a': unknown trigger_rule 'sometimes'/,
    );
  });

  it('bad timezone', () => {
    assertDefinitionError(
      () => new DAG({ dag_id: 'tz', timezone: 'Mars/Olympus_Mons' }),
      `${FILE}: DAG 'tz': unknown timezone 'Mars/Olympus_Mons'`,
    );
  });

  it('bad dates, ids and numbers', () => {
    assertDefinitionError(() => new DAG({ dag_id: 'date', start_date: '2021-02-30' }), /invalid start_date "2021-02-30": not a valid calendar date/);
    assertDefinitionError(() => new DAG({ dag_id: 'bad id!' }), /DAG 'bad id!': invalid dag_id 'bad id!'/);
    assertDefinitionError(
      () => new DAG({ dag_id: 'task_ids' }, () => new EmptyOperator({ task_id: 'has space' })),
      /task 'has space': invalid task_id 'has space'/,
    );
    assertDefinitionError(
      () => new DAG({ dag_id: 'retries' }, () => new EmptyOperator({ task_id: 'a', retries: -1, retry_delay: { weeks: 1 } as never })),
      /task 'a': retries must be a non-negative integer, got -1; task 'a': invalid retry_delay: unknown duration unit 'weeks'/,
    );
  });

  it('two DAGs with the same dag_id in one file', () => {
    new DAG({ dag_id: 'twice' });
    assertDefinitionError(() => new DAG({ dag_id: 'twice' }), `${FILE}: DAG 'twice': dag_id 'twice' is defined 2 times in the same file`);
  });

  it('reports every problem at once', () => {
    assertDefinitionError(
      () => new DAG({ dag_id: 'many', timezone: 'Nope/Nope', schedule: '99 * * * *' }),
      `${FILE}: DAG 'many': unknown timezone 'Nope/Nope'; invalid schedule '99 * * * *': Invalid value for minute: 99`,
    );
  });
});

/**
 * Trigger rules and the per-run scheduling decision, as pure functions.
 *
 * The table gives, for every trigger rule, the verdict Airflow reaches for a
 * set of upstream states (airflow/ti_deps/deps/trigger_rule_dep.py and the
 * "Trigger Rules" section of the DAG concepts page): 'ready' (the task can be
 * scheduled), 'wait', or the state the task is settled in without running.
 * DAGs for decideRun are built with the SDK and serialized, so they have the
 * exact shape the DAG processor stores.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BashOperator, DAG, EmptyOperator, resetDagRegistry, serializeDag, TRIGGER_RULES, type SerializedDag, type TriggerRule } from '@updraft/sdk';
import type { TiState } from '../src/db/sql/task-instances.ts';
import { decideRun, type RunDecision } from '../src/scheduler/decide.ts';
import { countUpstream, evaluateTriggerRule, type Verdict } from '../src/scheduler/trigger-rules.ts';

type S = TiState | null;

/** Upstream state combinations, by a short name used in the table. */
const COMBOS: Record<string, S[]> = {
  'no upstream': [],
  'success+success': ['success', 'success'],
  'success+running': ['success', 'running'],
  'success+skipped': ['success', 'skipped'],
  'success+failed': ['success', 'failed'],
  'failed+failed': ['failed', 'failed'],
  'failed+upstream_failed': ['failed', 'upstream_failed'],
  'skipped+skipped': ['skipped', 'skipped'],
  'skipped+queued': ['skipped', 'queued'],
  'failed+up_for_retry': ['failed', 'up_for_retry'],
  'skipped+failed': ['skipped', 'failed'],
  'none+none': [null, null],
  'upstream_failed+skipped': ['upstream_failed', 'skipped'],
  'upstream_failed+scheduled': ['upstream_failed', 'scheduled'],
  'upstream_failed+upstream_failed': ['upstream_failed', 'upstream_failed'],
};

const R: Verdict = 'ready';
const W: Verdict = 'wait';
const SK: Verdict = 'skipped';
const UF: Verdict = 'upstream_failed';

/** rule → combo → verdict. Every rule has a verdict for every combo. */
const TABLE: Record<Exclude<TriggerRule, 'all_done_setup_success'>, Record<string, Verdict>> = {
  // All upstream tasks have succeeded; a failure makes it upstream_failed, a skip cascades.
  all_success: {
    'no upstream': R,
    'success+success': R,
    'success+running': W,
    'success+skipped': SK,
    'success+failed': UF,
    'failed+failed': UF,
    'failed+upstream_failed': UF,
    'skipped+skipped': SK,
    'skipped+queued': SK,
    'failed+up_for_retry': UF,
    'skipped+failed': UF,
    'none+none': W,
    'upstream_failed+skipped': UF,
    'upstream_failed+scheduled': UF,
    'upstream_failed+upstream_failed': UF,
  },
  // All upstream tasks are failed or upstream_failed; any success or skip skips it.
  all_failed: {
    'no upstream': R,
    'success+success': SK,
    'success+running': SK,
    'success+skipped': SK,
    'success+failed': SK,
    'failed+failed': R,
    'failed+upstream_failed': R,
    'skipped+skipped': SK,
    'skipped+queued': SK,
    'failed+up_for_retry': W,
    'skipped+failed': SK,
    'none+none': W,
    'upstream_failed+skipped': SK,
    'upstream_failed+scheduled': W,
    'upstream_failed+upstream_failed': R,
  },
  // All upstream tasks are done, whatever their state.
  all_done: {
    'no upstream': R,
    'success+success': R,
    'success+running': W,
    'success+skipped': R,
    'success+failed': R,
    'failed+failed': R,
    'failed+upstream_failed': R,
    'skipped+skipped': R,
    'skipped+queued': W,
    'failed+up_for_retry': W,
    'skipped+failed': R,
    'none+none': W,
    'upstream_failed+skipped': R,
    'upstream_failed+scheduled': W,
    'upstream_failed+upstream_failed': R,
  },
  // "All non-skipped upstream tasks are done and at least one succeeded" (the
  // documented rule, so success+skipped runs; trigger_rule_dep.py skips it
  // instead). When none succeeded it does not run: skipped if a skip is among
  // the upstream states, upstream_failed otherwise, as trigger_rule_dep.py does.
  all_done_min_one_success: {
    'no upstream': R,
    'success+success': R,
    'success+running': W,
    'success+skipped': R,
    'success+failed': R,
    'failed+failed': UF,
    'failed+upstream_failed': UF,
    'skipped+skipped': SK,
    'skipped+queued': W,
    'failed+up_for_retry': W,
    'skipped+failed': SK,
    'none+none': W,
    'upstream_failed+skipped': SK,
    'upstream_failed+scheduled': W,
    'upstream_failed+upstream_failed': UF,
  },
  // At least one upstream succeeded (does not wait); all skipped → skipped; all done without a success → upstream_failed.
  one_success: {
    'no upstream': R,
    'success+success': R,
    'success+running': R,
    'success+skipped': R,
    'success+failed': R,
    'failed+failed': UF,
    'failed+upstream_failed': UF,
    'skipped+skipped': SK,
    'skipped+queued': W,
    'failed+up_for_retry': W,
    'skipped+failed': UF,
    'none+none': W,
    'upstream_failed+skipped': UF,
    'upstream_failed+scheduled': W,
    'upstream_failed+upstream_failed': UF,
  },
  // At least one upstream failed or upstream_failed (does not wait); all done without one → skipped.
  one_failed: {
    'no upstream': R,
    'success+success': SK,
    'success+running': W,
    'success+skipped': SK,
    'success+failed': R,
    'failed+failed': R,
    'failed+upstream_failed': R,
    'skipped+skipped': SK,
    'skipped+queued': W,
    'failed+up_for_retry': R,
    'skipped+failed': R,
    'none+none': W,
    'upstream_failed+skipped': R,
    'upstream_failed+scheduled': R,
    'upstream_failed+upstream_failed': R,
  },
  // At least one upstream succeeded or failed (upstream_failed did not run, so
  // it does not count); all done without one → skipped.
  one_done: {
    'no upstream': R,
    'success+success': R,
    'success+running': R,
    'success+skipped': R,
    'success+failed': R,
    'failed+failed': R,
    'failed+upstream_failed': R,
    'skipped+skipped': SK,
    'skipped+queued': W,
    'failed+up_for_retry': R,
    'skipped+failed': R,
    'none+none': W,
    'upstream_failed+skipped': SK,
    'upstream_failed+scheduled': W,
    'upstream_failed+upstream_failed': SK,
  },
  // No upstream failed or upstream_failed: all succeeded or skipped.
  none_failed: {
    'no upstream': R,
    'success+success': R,
    'success+running': W,
    'success+skipped': R,
    'success+failed': UF,
    'failed+failed': UF,
    'failed+upstream_failed': UF,
    'skipped+skipped': R,
    'skipped+queued': W,
    'failed+up_for_retry': UF,
    'skipped+failed': UF,
    'none+none': W,
    'upstream_failed+skipped': UF,
    'upstream_failed+scheduled': UF,
    'upstream_failed+upstream_failed': UF,
  },
  // No failure and at least one success; all skipped → skipped.
  none_failed_min_one_success: {
    'no upstream': R,
    'success+success': R,
    'success+running': W,
    'success+skipped': R,
    'success+failed': UF,
    'failed+failed': UF,
    'failed+upstream_failed': UF,
    'skipped+skipped': SK,
    'skipped+queued': W,
    'failed+up_for_retry': UF,
    'skipped+failed': UF,
    'none+none': W,
    'upstream_failed+skipped': UF,
    'upstream_failed+scheduled': UF,
    'upstream_failed+upstream_failed': UF,
  },
  // No upstream skipped (a skip settles it at once); failures are fine.
  none_skipped: {
    'no upstream': R,
    'success+success': R,
    'success+running': W,
    'success+skipped': SK,
    'success+failed': R,
    'failed+failed': R,
    'failed+upstream_failed': R,
    'skipped+skipped': SK,
    'skipped+queued': SK,
    'failed+up_for_retry': W,
    'skipped+failed': SK,
    'none+none': W,
    'upstream_failed+skipped': SK,
    'upstream_failed+scheduled': W,
    'upstream_failed+upstream_failed': R,
  },
  // All upstream skipped; any success or failure skips it at once.
  all_skipped: {
    'no upstream': R,
    'success+success': SK,
    'success+running': SK,
    'success+skipped': SK,
    'success+failed': SK,
    'failed+failed': SK,
    'failed+upstream_failed': SK,
    'skipped+skipped': R,
    'skipped+queued': W,
    'failed+up_for_retry': SK,
    'skipped+failed': SK,
    'none+none': W,
    'upstream_failed+skipped': SK,
    'upstream_failed+scheduled': SK,
    'upstream_failed+upstream_failed': SK,
  },
  // No dependencies at all.
  always: Object.fromEntries(Object.keys(COMBOS).map((k) => [k, R])),
};

describe('evaluateTriggerRule', () => {
  test('the table covers every trigger rule the SDK accepts (all_done_setup_success is tested apart)', () => {
    assert.deepEqual([...Object.keys(TABLE), 'all_done_setup_success'].sort(), [...TRIGGER_RULES].sort());
    for (const [rule, row] of Object.entries(TABLE)) assert.deepEqual(Object.keys(row).sort(), Object.keys(COMBOS).sort(), rule);
  });

  for (const [rule, row] of Object.entries(TABLE)) {
    test(rule, () => {
      const got = Object.fromEntries(Object.keys(COMBOS).map((combo) => [combo, evaluateTriggerRule(rule as TriggerRule, countUpstream(COMBOS[combo]))]));
      assert.deepEqual(got, row);
    });
  }

  test('all_done_setup_success waits for every upstream, like all_done', () => {
    assert.equal(evaluateTriggerRule('all_done_setup_success', countUpstream(['failed', 'running'])), 'wait');
    assert.equal(evaluateTriggerRule('all_done_setup_success', countUpstream(['failed', 'skipped'])), 'ready');
  });

  test('the order of upstream states does not matter', () => {
    for (const rule of Object.keys(TABLE) as TriggerRule[]) {
      for (const states of Object.values(COMBOS)) {
        assert.equal(evaluateTriggerRule(rule, countUpstream([...states].reverse())), evaluateTriggerRule(rule, countUpstream(states)), `${rule} ${states.join('+')}`);
      }
    }
  });

  test('countUpstream counts finished states as done, removed included, and active states as not done', () => {
    assert.deepEqual(countUpstream(['success', 'skipped', 'failed', 'upstream_failed', 'removed', 'running', 'queued', 'scheduled', 'up_for_retry', 'deferred', null]), {
      total: 11,
      success: 1,
      skipped: 1,
      failed: 1,
      upstream_failed: 1,
      done: 5,
    });
    // a removed upstream is done: all_done goes ahead
    assert.equal(evaluateTriggerRule('all_done', countUpstream(['removed', 'failed'])), 'ready');
  });
});

// ---------------------------------------------------------------------------
// decideRun

/** Builds and serializes a DAG exactly as the DAG processor would. */
function build(dagId: string, tasks: (dag: DAG) => void): SerializedDag {
  resetDagRegistry();
  return serializeDag(new DAG({ dag_id: dagId, schedule: null, start_date: '2024-01-01' }, tasks), '/x.ts');
}

const bash = (task_id: string, extra: Partial<ConstructorParameters<typeof BashOperator>[0]> = {}) => new BashOperator({ task_id, bash_command: 'true', ...extra });

/** Every task of `dag` in state null except those given. */
function states(dag: SerializedDag, given: Record<string, S>): Map<string, S> {
  for (const id of Object.keys(given)) assert.ok(dag.tasks.some((t) => t.task_id === id), `no task ${id}`);
  return new Map(dag.tasks.map((t) => [t.task_id, given[t.task_id] ?? null]));
}

function decision(d: RunDecision) {
  // expand and byIndex (mapped tasks) are left out when empty: these DAGs map nothing
  const { expand, byIndex, ...rest } = d;
  return { ...rest, ...(expand.length ? { expand } : {}), ...(byIndex.length ? { byIndex } : {}), schedule: [...d.schedule].sort(), skipped: [...d.skipped].sort(), upstream_failed: [...d.upstream_failed].sort(), success: [...d.success].sort() };
}

describe('decideRun', () => {
  test('a fresh run schedules its roots only', () => {
    const dag = build('roots', () => {
      bash('a').then(bash('b'));
      bash('c');
    });
    assert.deepEqual(decision(decideRun({ dag, states: states(dag, {}) })), { schedule: ['a', 'c'], skipped: [], upstream_failed: [], success: [], runState: null });
  });

  test('a skip propagates down an all_success chain in one decision, and the run succeeds', () => {
    const dag = build('skip_chain', () => {
      bash('a').then(bash('b')).then(bash('c')).then(bash('d'));
    });
    const d = decideRun({ dag, states: states(dag, { a: 'skipped' }) });
    assert.deepEqual(decision(d), { schedule: [], skipped: ['b', 'c', 'd'], upstream_failed: [], success: [], runState: 'success' });
  });

  test('a skip stops at a none_failed_min_one_success join that has another successful path', () => {
    const dag = build('branch_join', () => {
      const branch = bash('branch');
      const chosen = bash('chosen');
      const other = bash('other');
      const otherNext = bash('other_next');
      const join = bash('join', { trigger_rule: 'none_failed_min_one_success' });
      branch.then([chosen, other]);
      other.then(otherNext).then(join);
      chosen.then(join);
    });
    const d = decideRun({ dag, states: states(dag, { branch: 'success', chosen: 'success', other: 'skipped' }) });
    assert.deepEqual(decision(d), { schedule: ['join'], skipped: ['other_next'], upstream_failed: [], success: [], runState: null });
  });

  test('a failure marks the all_success chain below it upstream_failed, and the run fails', () => {
    const dag = build('fail_chain', () => {
      bash('a').then(bash('b')).then(bash('c'));
      bash('side');
    });
    const d = decideRun({ dag, states: states(dag, { a: 'failed', side: 'success' }) });
    assert.deepEqual(decision(d), { schedule: [], skipped: [], upstream_failed: ['b', 'c'], success: [], runState: 'failed' });
  });

  test('an all_done join after a failure is scheduled, its all_success sibling is upstream_failed', () => {
    const dag = build('cleanup', () => {
      const start = bash('start');
      const work = bash('work');
      const other = bash('other');
      const cleanup = bash('cleanup', { trigger_rule: 'all_done' });
      const report = bash('report');
      start.then([work, other]);
      cleanup.setUpstream([work, other]);
      report.setUpstream([work, other]);
    });
    const d = decideRun({ dag, states: states(dag, { start: 'success', work: 'failed', other: 'success' }) });
    assert.deepEqual(decision(d), { schedule: ['cleanup'], skipped: [], upstream_failed: ['report'], success: [], runState: null });
    // report is a leaf that did not run because of the failure: the run fails once cleanup is done
    const after = decideRun({ dag, states: states(dag, { start: 'success', work: 'failed', other: 'success', cleanup: 'success', report: 'upstream_failed' }) });
    assert.equal(after.runState, 'failed');
  });

  test('the run state follows the leaves: a failed middle task with a successful all_done leaf is a successful run', () => {
    const dag = build('leaves', () => {
      bash('a').then(bash('b')).then(bash('teardown', { trigger_rule: 'all_done' }));
    });
    assert.equal(decideRun({ dag, states: states(dag, { a: 'success', b: 'failed', teardown: 'success' }) }).runState, 'success');
    assert.equal(decideRun({ dag, states: states(dag, { a: 'success', b: 'success', teardown: 'failed' }) }).runState, 'failed');
    // the teardown is still to do: not finished yet
    const pending = decideRun({ dag, states: states(dag, { a: 'success', b: 'failed' }) });
    assert.deepEqual(pending.schedule, ['teardown']);
    assert.equal(pending.runState, null);
  });

  test('an all_done_min_one_success join whose upstream tasks all failed is upstream_failed, and the run fails', () => {
    const dag = build('min_one_success', () => {
      const x = bash('x');
      const y = bash('y');
      bash('start').then([x, y]);
      new EmptyOperator({ task_id: 'join', trigger_rule: 'all_done_min_one_success' }).setUpstream([x, y]);
    });
    const failed = decideRun({ dag, states: states(dag, { start: 'success', x: 'failed', y: 'failed' }) });
    assert.deepEqual(decision(failed), { schedule: [], skipped: [], upstream_failed: ['join'], success: [], runState: 'failed' });
    // one success is enough: the EmptyOperator join is settled as success, and the run (decided by its leaf) succeeds
    const ok = decideRun({ dag, states: states(dag, { start: 'success', x: 'failed', y: 'success' }) });
    assert.deepEqual(decision(ok), { schedule: [], skipped: [], upstream_failed: [], success: ['join'], runState: 'success' });
  });

  test('EmptyOperators are settled as success without a process, in cascade; one with a callback is scheduled', () => {
    const dag = build('empties', () => {
      const start = new EmptyOperator({ task_id: 'start' });
      const middle = new EmptyOperator({ task_id: 'middle' });
      const work = bash('work');
      const notify = new EmptyOperator({ task_id: 'notify', on_success_callback: () => undefined });
      start.then(middle).then(work);
      middle.then(notify);
    });
    const first = decideRun({ dag, states: states(dag, {}) });
    assert.deepEqual(decision(first), { schedule: ['notify', 'work'], skipped: [], upstream_failed: [], success: ['middle', 'start'], runState: null });
  });

  test('a DAG of EmptyOperators only finishes in one decision', () => {
    const dag = build('all_empty', () => {
      new EmptyOperator({ task_id: 'a' }).then([new EmptyOperator({ task_id: 'b' }), new EmptyOperator({ task_id: 'c' })]);
    });
    assert.deepEqual(decision(decideRun({ dag, states: states(dag, {}) })), { schedule: [], skipped: [], upstream_failed: [], success: ['a', 'b', 'c'], runState: 'success' });
  });

  test('an EmptyOperator below a failure is upstream_failed, not success', () => {
    const dag = build('empty_after_failure', () => {
      bash('a').then(new EmptyOperator({ task_id: 'end' }));
    });
    assert.deepEqual(decision(decideRun({ dag, states: states(dag, { a: 'failed' }) })), { schedule: [], skipped: [], upstream_failed: ['end'], success: [], runState: 'failed' });
  });

  test('run state: success when every leaf succeeded or skipped, failed when a leaf failed or is upstream_failed, none while something is active', () => {
    const dag = build('run_state', () => {
      bash('a').then([bash('b'), bash('c')]);
    });
    const run = (given: Record<string, S>) => decideRun({ dag, states: states(dag, given) }).runState;
    assert.equal(run({ a: 'success', b: 'success', c: 'skipped' }), 'success');
    assert.equal(run({ a: 'success', b: 'skipped', c: 'skipped' }), 'success');
    assert.equal(run({ a: 'success', b: 'success', c: 'failed' }), 'failed');
    assert.equal(run({ a: 'success', b: 'upstream_failed', c: 'success' }), 'failed');
    assert.equal(run({ a: 'success', b: 'success', c: 'running' }), null);
    assert.equal(run({ a: 'success', b: 'success', c: 'up_for_retry' }), null);
    assert.equal(run({ a: 'success', b: 'success', c: 'queued' }), null);
    assert.equal(run({ a: 'running' }), null);
  });

  test('depends_on_past: runs when there is no previous run or the previous try succeeded or skipped', () => {
    const dag = build('past', () => {
      bash('a', { depends_on_past: true }).then(bash('b'));
    });
    assert.deepEqual(decideRun({ dag, states: states(dag, {}) }).schedule, ['a']);
    assert.deepEqual(decideRun({ dag, states: states(dag, {}), previousStates: new Map() }).schedule, ['a']);
    assert.deepEqual(decideRun({ dag, states: states(dag, {}), previousStates: new Map([['a', 'success']]) }).schedule, ['a']);
    assert.deepEqual(decideRun({ dag, states: states(dag, {}), previousStates: new Map([['a', 'skipped']]) }).schedule, ['a']);
  });

  test('depends_on_past: waits while the previous run is still active', () => {
    const dag = build('past_wait', () => {
      bash('a', { depends_on_past: true }).then(bash('b'));
    });
    for (const past of ['running', 'queued', null, 'failed'] as S[]) {
      const d = decideRun({ dag, states: states(dag, {}), previousStates: new Map([['a', past]]), previousRunActive: true });
      assert.deepEqual(decision(d), { schedule: [], skipped: [], upstream_failed: [], success: [], runState: null }, String(past));
    }
  });

  test('depends_on_past on a failed previous run that is over: deadlock, the run fails', () => {
    const dag = build('past_deadlock', () => {
      bash('a', { depends_on_past: true }).then(bash('b'));
      bash('independent');
    });
    const d = decideRun({ dag, states: states(dag, { independent: 'success' }), previousStates: new Map([['a', 'failed']]), previousRunActive: false });
    assert.deepEqual(decision(d), { schedule: [], skipped: [], upstream_failed: [], success: [], runState: 'failed' });
    // but not while another task of this run is still going
    const busy = decideRun({ dag, states: states(dag, { independent: 'running' }), previousStates: new Map([['a', 'failed']]), previousRunActive: false });
    assert.equal(busy.runState, null);
  });

  test('wait_for_downstream implies depends_on_past', () => {
    const dag = build('wait_downstream', () => {
      bash('a', { wait_for_downstream: true }).then(bash('b'));
    });
    assert.equal(dag.tasks[0].depends_on_past, true);
    const d = decideRun({ dag, states: states(dag, {}), previousStates: new Map([['a', 'failed']]), previousRunActive: true });
    assert.deepEqual(d.schedule, []);
  });

  test('wait_for_downstream also waits for the direct downstream tasks of the previous run', () => {
    const dag = build('wait_downstream_2', () => {
      bash('a', { wait_for_downstream: true }).then(bash('b')).then(bash('c'));
    });
    const before = (b: S) => new Map<string, S>([['a', 'success'], ['b', b], ['c', 'running']]);
    // b of the previous run still running: a waits (c, two steps down, does not matter)
    assert.deepEqual(decideRun({ dag, states: states(dag, {}), previousStates: before('running'), previousRunActive: true }).schedule, []);
    assert.deepEqual(decideRun({ dag, states: states(dag, {}), previousStates: before('success'), previousRunActive: true }).schedule, ['a']);
    assert.deepEqual(decideRun({ dag, states: states(dag, {}), previousStates: before('skipped'), previousRunActive: true }).schedule, ['a']);
  });

  test('decideRun does not modify the states it was given', () => {
    const dag = build('pure', () => {
      bash('a').then(bash('b'));
    });
    const given = states(dag, { a: 'skipped' });
    const copy = new Map(given);
    decideRun({ dag, states: given });
    assert.deepEqual(given, copy);
  });
});

/**
 * Sensors and deferral end to end, against real task processes, the
 * scheduler and the triggerer: poke mode, reschedule mode (the slot is given
 * back and the try goes on), timeouts and soft_fail, deferrable sensors, a
 * custom trigger defined next to the DAG, and deferral timeouts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStandalone, type TestStandalone, tiStates, waitFor } from './helpers.ts';

let s: TestStandalone;
let flagFile: string;

async function ti(dagId: string, runId: string, taskId: string) {
  const r = await s.db.pool.query('SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3', [dagId, runId, taskId]);
  return r.rows[0];
}

async function log(dagId: string, runId: string, taskId: string, attempt = 1) {
  const file = path.join(s.config.str('logging', 'base_log_folder'), `dag_id=${dagId}`, `run_id=${runId}`, `task_id=${taskId}`, `attempt=${attempt}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

before(async () => {
  s = await startStandalone({ UPDRAFT__TRIGGERER__JOB_HEARTBEAT_SEC: '0.3' });
  flagFile = path.join(s.dagsFolder, '..', 'flag.txt');
  s.writeDag(
    'sensors.ts',
    `import fs from 'node:fs';
     import { DAG, task, PokeReturnValue, DateTimeSensor, FileSensor, EmptyOperator } from '@updraft/sdk';
     new DAG({ dag_id: 'poke_sensor', schedule: null, start_date: '2024-01-01' }, () => {
       const wait = new DateTimeSensor({ task_id: 'wait', target_time: '{{ dag_run.conf["at"] }}', poke_interval: 0.2 });
       wait.then(new EmptyOperator({ task_id: 'after' }));
     });
     new DAG({ dag_id: 'reschedule_sensor', schedule: null, start_date: '2024-01-01' }, () => {
       const wait = task.sensor(function wait_for_flag(file: string) {
         return fs.existsSync(file) ? new PokeReturnValue(true, fs.readFileSync(file, 'utf8')) : false;
       }, { mode: 'reschedule', poke_interval: 0.5, timeout: 60 });
       wait(${JSON.stringify(flagFile)});
     });
     new DAG({ dag_id: 'timeouts', schedule: null, start_date: '2024-01-01' }, () => {
       new FileSensor({ task_id: 'hard', filepath: '/nonexistent/*.csv', mode: 'reschedule', poke_interval: 0.3, timeout: 1, retries: 2 });
       new FileSensor({ task_id: 'soft', filepath: '/nonexistent/*.csv', poke_interval: 0.2, timeout: 0.6, soft_fail: true });
     });`,
  );
  s.writeDag(
    'deferral.ts',
    `import { DAG, BaseOperator, DateTimeSensorAsync, TimeDeltaTrigger } from '@updraft/sdk';
     import { EchoTrigger } from './echo-trigger.ts';
     class WaitForEcho extends BaseOperator {
       execute() { this.defer({ trigger: new EchoTrigger({ word: 'ping' }), method_name: 'done', kwargs: { extra: 7 } }); }
       done(_context: unknown, event: { word: string }, kwargs: { extra: number }) { return event.word + '-' + kwargs.extra; }
     }
     class WaitTooLong extends BaseOperator {
       execute() { this.defer({ trigger: new TimeDeltaTrigger({ delta: 3600 }), method_name: 'done', timeout: 1 }); }
       done() { return 'never'; }
     }
     new DAG({ dag_id: 'deferral', schedule: null, start_date: '2024-01-01' }, () => {
       new DateTimeSensorAsync({ task_id: 'wait_async', target_time: '{{ dag_run.conf["at"] }}' });
       new WaitForEcho({ task_id: 'echo' });
     });
     new DAG({ dag_id: 'deferral_timeout', schedule: null, start_date: '2024-01-01' }, () => {
       new WaitTooLong({ task_id: 'too_long' });
     });`,
  );
  // a trigger class next to the DAG: the triggerer imports it by absolute path
  fs.writeFileSync(
    path.join(s.dagsFolder, 'echo-trigger.ts'),
    `import { BaseTrigger } from '@updraft/sdk';
     export class EchoTrigger extends BaseTrigger {
       word: string;
       constructor(kwargs: { word: string }) { super(); this.word = kwargs.word; }
       serialize(): [string, Record<string, unknown>] { return [import.meta.filename + '#EchoTrigger', { word: this.word }]; }
       async *run() { await new Promise((r) => setTimeout(r, 300)); yield { payload: { word: this.word.toUpperCase() } }; }
     }`,
  );
  fs.writeFileSync(path.join(s.dagsFolder, '.airflowignore'), 'echo-trigger\n');
  for (const id of ['poke_sensor', 'reschedule_sensor', 'timeouts', 'deferral', 'deferral_timeout']) await s.waitForDag(id);
});

after(async () => {
  await s?.close();
});

describe('sensors', () => {
  test('poke mode waits in one process until the condition holds', async () => {
    const at = new Date(Date.now() + 1500).toISOString();
    const runId = await s.trigger('poke_sensor', { conf: { at } });
    assert.equal(await s.waitForRun('poke_sensor', runId, 30_000), 'success');
    const wait = await ti('poke_sensor', runId, 'wait');
    assert.equal(wait.try_number, 1);
    assert.ok(wait.end_date.getTime() >= Date.parse(at), 'the sensor finished after its target time');
    assert.match(await log('poke_sensor', runId, 'wait'), /Condition not met; poking again/);
  });

  test('reschedule mode gives the slot back between pokes and keeps the try', async () => {
    fs.rmSync(flagFile, { force: true });
    const runId = await s.trigger('reschedule_sensor');
    await waitFor(async () => (await ti('reschedule_sensor', runId, 'wait_for_flag'))?.state === 'up_for_reschedule', 20_000, 'up_for_reschedule');
    const waiting = await ti('reschedule_sensor', runId, 'wait_for_flag');
    assert.equal(waiting.try_number, 1);
    assert.ok(waiting.reschedule_date, 'reschedule_date set');
    // the state is reported before the process exits: give it the moment it takes to go
    await waitFor(() => !s.scheduler?.['deps'].executor.running().includes(waiting.id), 5_000, 'the poking process to exit (no process holds a slot while waiting)');
    // a few pokes, then the condition holds
    await waitFor(async () => (await s.db.pool.query('SELECT count(*)::int AS n FROM task_reschedule WHERE run_id = $1', [runId])).rows[0].n >= 2, 20_000, 'two reschedules');
    fs.writeFileSync(flagFile, 'found it');
    assert.equal(await s.waitForRun('reschedule_sensor', runId, 30_000), 'success');
    const done = await ti('reschedule_sensor', runId, 'wait_for_flag');
    assert.equal(done.try_number, 1, 'rescheduling does not start new tries');
    const first = await s.db.pool.query('SELECT min(start_date) AS s FROM task_reschedule WHERE run_id = $1', [runId]);
    assert.equal(done.start_date.getTime(), first.rows[0].s.getTime(), 'start_date is the first poke');
    const xcom = await s.api('GET', `/api/v2/dags/reschedule_sensor/dagRuns/${runId}/taskInstances/wait_for_flag/xcomEntries/return_value`);
    assert.equal(xcom.body.value, 'found it');
    const text = await log('reschedule_sensor', runId, 'wait_for_flag');
    assert.match(text, /UP_FOR_RESCHEDULE/);
    assert.match(text, /Marking task as SUCCESS/);
  });

  test('a timed-out sensor fails without retrying; with soft_fail it is skipped', async () => {
    const runId = await s.trigger('timeouts');
    assert.equal(await s.waitForRun('timeouts', runId, 30_000), 'failed');
    const states = await tiStates(s.db, 'timeouts', runId);
    assert.deepEqual(states, { hard: 'failed', soft: 'skipped' });
    const hard = await ti('timeouts', runId, 'hard');
    assert.equal(hard.try_number, 1, 'AirflowSensorTimeout does not use the retries');
    assert.match(await log('timeouts', runId, 'hard'), /Sensor has timed out/);
  });
});

describe('deferral', () => {
  test('deferred tasks wait in the triggerer and resume where they asked', async () => {
    const at = new Date(Date.now() + 2000).toISOString();
    const runId = await s.trigger('deferral', { conf: { at } });
    await waitFor(async () => (await ti('deferral', runId, 'wait_async'))?.state === 'deferred', 20_000, 'wait_async deferred');
    const deferred = await ti('deferral', runId, 'wait_async');
    assert.ok(deferred.trigger_id, 'a trigger row is linked');
    const trig = await s.db.pool.query('SELECT classpath FROM trigger WHERE id = $1', [deferred.trigger_id]);
    assert.equal(trig.rows[0].classpath, '@updraft/sdk#DateTimeTrigger');
    assert.equal(await s.waitForRun('deferral', runId, 30_000), 'success');
    const waited = await ti('deferral', runId, 'wait_async');
    assert.equal(waited.try_number, 1);
    assert.ok(waited.end_date.getTime() >= Date.parse(at));
    const echo = await s.api('GET', `/api/v2/dags/deferral/dagRuns/${runId}/taskInstances/echo/xcomEntries/return_value`);
    assert.equal(echo.body.value, 'PING-7', 'resumed at done(context, event, kwargs)');
    assert.match(await log('deferral', runId, 'echo'), /DEFERRED[\s\S]*Resuming after deferral at done\(\)/);
    assert.equal((await s.db.pool.query('SELECT count(*)::int AS n FROM trigger')).rows[0].n, 0, 'fired triggers are deleted');
  });

  test('a trigger that does not fire within the timeout fails the task', async () => {
    const runId = await s.trigger('deferral_timeout');
    assert.equal(await s.waitForRun('deferral_timeout', runId, 30_000), 'failed');
    assert.match(await log('deferral_timeout', runId, 'too_long'), /TaskDeferralTimeout/);
  });
});

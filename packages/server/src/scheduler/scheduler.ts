/**
 * The scheduler loop. Each pass: create due runs, start queued runs, decide
 * task instances of running runs, queue what may run and hand it to the
 * executor. A pass runs as soon as something happens (a task finished, a run
 * was triggered: LISTEN/NOTIFY or an in-process wake); the timer is only the
 * backstop for time-based work (retry delays, schedules, heartbeats).
 */
import path from 'node:path';
import fs from 'node:fs';
import type { SerializedDag } from '@updraft/sdk/serialized';
import type pg from 'pg';
import { requestDagCallback, requestTaskCallback } from '../callbacks/requests.ts';
import type { Config } from '../config/config.ts';
import { DagVersionCache } from '../db/sql/dag-version-cache.ts';
import { finishRun, lockRunningRuns, startQueuedRuns, touchSchedulingDecision, type DagRunRow } from '../db/sql/dag-runs.ts';
import { endJob, heartbeatJob, startJob } from '../db/sql/jobs.ts';
import {
  findZombies,
  finishTry,
  getTiById,
  NOTIFY_ORIGIN,
  queueTis,
  requeueStuckTis,
  scheduleDueRetries,
  queueCandidates,
  releaseRestarting,
  setTisState,
  type TaskInstanceRow,
  type TiState,
} from '../db/sql/task-instances.ts';
import { logRelativePath, type Executor, type ProcessExit } from '../executors/workload.ts';
import { signToken } from '../security/tokens.ts';
import type { Logger } from '../util/logger.ts';
import { decideRun } from './decide.ts';
import { expandTaskInstances, mappedLength } from './mapping.ts';
import { createScheduledRuns } from './runs.ts';
import { createAssetTriggeredRuns } from './asset-runs.ts';
import { advanceBackfills } from './backfill.ts';

/** running runs examined per pass; more wait for the next pass, least recently examined first */
const RUNS_PER_PASS = 200;
const QUEUE_LOCK = 7_361_202; // advisory lock id: one scheduler at a time in the queueing critical section

export interface SchedulerDeps {
  pool: pg.Pool;
  config: Config;
  executor: Executor;
  secret: Uint8Array;
  apiUrl: string;
  log: Logger;
  /** limit the scheduler to one run and no automated runs (`dags test`, `tasks test`) */
  onlyRun?: { dag_id: string; run_id: string };
  /**
   * The api-server in this process wakes this scheduler directly, so the
   * NOTIFY it also sends (for schedulers elsewhere) would only cause a second pass.
   */
  wokenInProcess?: boolean;
}

export class Scheduler {
  private readonly deps: SchedulerDeps;
  private readonly versions = new DagVersionCache();
  private jobId = 0;
  private running = false;
  private wakeRequested = false;
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private listener: pg.Client | null = null;
  private lastHousekeeping = 0;
  private runsMayStart = true;
  private decider: pg.PoolClient | null = null;

  constructor(deps: SchedulerDeps) {
    this.deps = deps;
    deps.executor.onExit((exit) => {
      void this.handleProcessExit(exit).catch((err) => deps.log.error({ err }, 'handling a task process exit failed'));
    });
  }

  /**
   * Runs made by `dags test` / `tasks test` belong to the CLI process that
   * executes them; every other scheduler leaves them alone.
   */
  private owns(run: { dag_id: string; run_id: string; triggered_by: string | null }): boolean {
    const only = this.deps.onlyRun;
    if (only) return run.dag_id === only.dag_id && run.run_id === only.run_id;
    return run.triggered_by !== 'test';
  }

  /**
   * Ask for a pass as soon as possible (coalesces). `runsCreated`: a run was
   * triggered, so queued runs must be looked at too (otherwise that waits for
   * the once-a-second time-driven work).
   */
  wake(runsCreated = false): void {
    if (runsCreated) this.runsMayStart = true;
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  async start(): Promise<void> {
    const { pool } = this.deps;
    this.jobId = await startJob(pool, 'SchedulerJob');
    this.running = true;
    const listener = (await pool.connect()) as unknown as pg.Client;
    listener.on('notification', (n) => {
      const [origin, kind] = (n.payload ?? '').split(' ');
      if (this.deps.wokenInProcess && origin === NOTIFY_ORIGIN) return;
      this.wake(kind !== 'task');
    });
    await listener.query('LISTEN updraft_scheduler');
    this.listener = listener;
    this.loopDone = this.loop();
    this.deps.log.info({ job_id: this.jobId }, 'scheduler started');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    if (this.listener) {
      await this.listener.query('UNLISTEN *').catch(() => undefined);
      (this.listener as unknown as pg.PoolClient).release();
    }
    // destroyed, not returned: its session setting must not reach other users of the pool
    this.decider?.release(true);
    this.decider = null;
    await endJob(this.deps.pool, this.jobId).catch(() => undefined);
  }

  private async loop() {
    const idleMs = this.deps.config.float('scheduler', 'scheduler_heartbeat_sec') * 1000;
    while (this.running) {
      this.wakeRequested = false;
      try {
        await this.runOnce({ all: false });
      } catch (err) {
        this.deps.log.error({ err }, 'scheduler pass failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
      if (!this.running) break;
      if (this.wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private version(id: number, db: pg.Pool | pg.PoolClient = this.deps.pool): Promise<SerializedDag> {
    return this.versions.get(db, id);
  }

  /**
   * One scheduling pass. Time-driven work (automated runs, zombies, the job
   * heartbeat) is done at most once a second unless `all` is set; what a
   * finished task or a trigger needs is done every pass. Public so tests can
   * drive the scheduler step by step.
   */
  async runOnce(options: { all?: boolean } = { all: true }): Promise<void> {
    const { pool } = this.deps;
    const now = Date.now();
    const timeWork = options.all || now - this.lastHousekeeping > 1000;
    if (timeWork) {
      this.lastHousekeeping = now;
      await this.housekeeping();
    }
    if (!this.deps.onlyRun) {
      if (timeWork) await createScheduledRuns(pool);
      if (timeWork || this.runsMayStart) await createAssetTriggeredRuns(pool);
      if (timeWork || this.runsMayStart) await advanceBackfills(pool, this.deps.log);
      if (timeWork || this.runsMayStart) {
        this.runsMayStart = false;
        await startQueuedRuns(pool);
      }
    }
    if (timeWork) await scheduleDueRetries(pool);
    // deciding and queueing share one transaction: two round trips fewer on every handoff
    // a started scheduler keeps its own connection; one driven pass by pass (tests) borrows one
    const dedicated = this.running;
    const client = dedicated ? await this.deciderClient() : await this.deps.pool.connect();
    let result: { finishedRuns: number; queued: Awaited<ReturnType<typeof queueTis>> };
    try {
      // one round trip: begin, take the queueing lock (one scheduler at a time
      // decides and queues; each later statement reads what the previous holder
      // committed) and lock the running runs; another queues and commits
      const begin = ['BEGIN', `SELECT pg_advisory_xact_lock(${QUEUE_LOCK})`, ...(dedicated ? [] : ['SET LOCAL synchronous_commit TO off'])];
      const runs = await lockRunningRuns(client, RUNS_PER_PASS, begin);
      const finishedRuns = await this.examineRuns(client, runs);
      result = { finishedRuns, queued: await queueTis(client, await this.chooseToQueue(client), this.jobId, { commit: true }) };
      if (!dedicated) client.release();
    } catch (err) {
      // a broken connection is destroyed rather than reused
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err as Error);
      if (dedicated) this.decider = null;
      throw err;
    }
    if (result.finishedRuns > 0) this.wake(true);
    await this.submit(result.queued);
  }

  /**
   * The connection the deciding-and-queueing transaction runs on, kept for the
   * scheduler's life. Everything that transaction writes can be derived again
   * from the task states it read, so it need not wait for its WAL to reach the
   * disk: if the database crashed before the flush, the next pass decides the
   * same again (and a try queued by a lost commit is refused a start: its id is
   * gone). Set once per connection, this takes a round trip off every handoff.
   */
  private async deciderClient(): Promise<pg.PoolClient> {
    if (!this.decider) {
      const client = await this.deps.pool.connect();
      await client.query('SET synchronous_commit TO off');
      this.decider = client;
    }
    return this.decider;
  }

  private async housekeeping() {
    const { pool, config } = this.deps;
    await heartbeatJob(pool, this.jobId);
    const heartbeatTimeout = config.float('scheduler', 'task_instance_heartbeat_timeout');
    for (const ti of await findZombies(pool, heartbeatTimeout)) {
      // tries this scheduler's executor still runs are alive whatever their heartbeat says
      if (this.deps.executor.running().includes(ti.id)) continue;
      await this.failTry(ti, `Task process of try ${ti.try_number} stopped sending heartbeats for over ${heartbeatTimeout} s (last at ${ti.last_heartbeat_at?.toISOString()}): it is gone.`, ['running']);
    }
    await releaseRestarting(pool, { heartbeatTimeoutSeconds: heartbeatTimeout });
    const jobTimeout = Math.max(config.float('scheduler', 'scheduler_heartbeat_sec') * 5, 30);
    await requeueStuckTis(pool, jobTimeout, config.float('scheduler', 'task_queued_timeout'));
  }

  /** Decides the task instances of every running run; returns how many runs finished. */
  private async examineRuns(client: pg.PoolClient, locked: Awaited<ReturnType<typeof lockRunningRuns>>): Promise<number> {
    const { log } = this.deps;
    let finishedRuns = 0;
    if (locked.length === RUNS_PER_PASS) await touchSchedulingDecision(client, locked.map((r) => r.id));
    const runs = locked.filter((r) => this.owns(r));
    for (const run of runs) {
      const dag = await this.version(run.dag_version_id, client);
      if (await this.checkRunTimeout(client, run, dag)) {
        finishedRuns++;
        continue;
      }
      const past = dag.tasks.some((t) => t.depends_on_past) ? await previousRunStates(client, run) : null;
      const decision = decideRun({ dag, tis: run.tis, previousStates: past?.states, previousRunActive: past?.active });
      for (const taskId of decision.expand) await this.expand(client, run, dag, taskId);
      // new task instances (a mapped group's wait for their own decision): look again right away
      if (decision.expand.length) this.wake();
      for (const d of decision.byIndex) await setTisState(client, run.dag_id, run.run_id, [d.task_id], [null], d.state, d.map_index);
      await setTisState(client, run.dag_id, run.run_id, decision.schedule, [null], 'scheduled');
      await setTisState(client, run.dag_id, run.run_id, decision.skipped, [null], 'skipped');
      await setTisState(client, run.dag_id, run.run_id, decision.upstream_failed, [null], 'upstream_failed');
      await setTisState(client, run.dag_id, run.run_id, decision.success, [null], 'success');
      if (decision.runState) {
        const finished = await finishRun(client, run.id, decision.runState);
        if (finished) {
          finishedRuns++;
          // the DAG's callback is queued in this transaction: it cannot be lost between the two
          await requestDagCallback(client, dag, run, decision.runState, decision.runState === 'success' ? 'success' : 'task_failure');
          log.info({ dag_id: run.dag_id, run_id: run.run_id, state: decision.runState }, 'dag run finished');
        }
      }
    }
    return finishedRuns;
  }

  /**
   * A mapped task became ready: count what it maps over and turn its one
   * placeholder task instance into map_index 0…n-1, scheduled. An empty
   * expansion is skipped; something that cannot be mapped over fails it,
   * with the reason in its log (Airflow fails the task as well).
   */
  private async expand(client: pg.PoolClient, run: DagRunRow, dag: SerializedDag, taskId: string) {
    const task = dag.tasks.find((t) => t.task_id === taskId);
    if (!task?.expand_input) return;
    const counted = await mappedLength(client, run, task.expand_input);
    if ('error' in counted) {
      const failed = await setTisState(client, run.dag_id, run.run_id, [taskId], [null], 'failed');
      for (const ti of failed) this.writeTaskLog(ti, `Cannot expand mapped task '${taskId}' of DAG '${run.dag_id}': ${counted.error}`);
      this.deps.log.warn({ dag_id: run.dag_id, run_id: run.run_id, task_id: taskId }, counted.error);
      return;
    }
    if (counted.length === 0) {
      await setTisState(client, run.dag_id, run.run_id, [taskId], [null], 'skipped');
      return;
    }
    // a mapped group's tasks start without a state: each map_index waits for its own upstream group-mates
    await expandTaskInstances(client, run.dag_id, run.run_id, taskId, counted.length, task.mapped_group_id ? null : 'scheduled');
  }

  private writeTaskLog(ti: Pick<TaskInstanceRow, 'dag_id' | 'run_id' | 'task_id' | 'map_index' | 'try_number'>, line: string) {
    const file = path.join(this.deps.config.str('logging', 'base_log_folder'), logRelativePath({ ...ti, try_number: Math.max(1, ti.try_number) }));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, `[${new Date().toISOString()}] {scheduler} ERROR - ${line}\n`);
  }

  /** dagrun_timeout: the run fails and whatever has not finished is skipped (running tries then stop). */
  private async checkRunTimeout(client: pg.PoolClient, run: DagRunRow, dag: SerializedDag): Promise<boolean> {
    if (!dag.dagrun_timeout_seconds || !run.start_date) return false;
    if (Date.now() - run.start_date.getTime() < dag.dagrun_timeout_seconds * 1000) return false;
    await client.query(
      `UPDATE task_instance SET state = 'skipped', end_date = now()
       WHERE dag_id = $1 AND run_id = $2 AND (state IS NULL OR state IN ('scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', 'deferred'))`,
      [run.dag_id, run.run_id],
    );
    if (await finishRun(client, run.id, 'failed')) await requestDagCallback(client, dag, run, 'failed', 'timed_out');
    this.deps.log.warn({ dag_id: run.dag_id, run_id: run.run_id }, `dag run timed out after ${dag.dagrun_timeout_seconds} s`);
    return true;
  }

  /** The scheduled task instances that fit every limit now, best first (read in the caller's transaction). */
  private async chooseToQueue(client: pg.PoolClient): Promise<string[]> {
    const free = this.deps.executor.freeSlots();
    if (free <= 0) return [];
    const candidates = (await queueCandidates(client, free * 4 + 32)).filter((t) => this.owns(t));
    if (candidates.length === 0) return [];
    // room as the database saw it, then decreased as this pass takes slots
    const pools = new Map<string, number>();
    const perDag = new Map<string, number>();
    const perTask = await this.perTaskLimits(client, candidates);
    const chosen: string[] = [];
    for (const ti of candidates) {
      if (chosen.length >= free) break;
      if (!ti.pool_exists) continue;
      const taskKey = `${ti.dag_id}\u0000${ti.task_id}`;
      const taskLimit = perTask.get(taskKey);
      if (taskLimit && taskLimit.active >= taskLimit.max) continue;
      const room = pools.get(ti.pool) ?? ti.pool_open ?? Number.POSITIVE_INFINITY;
      if (room < ti.pool_slots) continue;
      const active = perDag.get(ti.dag_id) ?? ti.dag_active;
      if (active >= ti.max_active_tasks) continue;
      pools.set(ti.pool, room - ti.pool_slots);
      perDag.set(ti.dag_id, active + 1);
      if (taskLimit) taskLimit.active++;
      chosen.push(ti.id);
    }
    return chosen;
  }

  /**
   * max_active_tis_per_dag of the candidates' tasks that set it, with their
   * task instances queued or running now (one query, only when some task has a limit).
   */
  private async perTaskLimits(client: pg.PoolClient, candidates: { dag_id: string; task_id: string; dag_version_id: number }[]) {
    const limits = new Map<string, { max: number; active: number }>();
    for (const ti of candidates) {
      const max = (await this.version(ti.dag_version_id, client)).tasks.find((t) => t.task_id === ti.task_id)?.max_active_tis_per_dag;
      if (max != null) limits.set(`${ti.dag_id}\u0000${ti.task_id}`, { max, active: 0 });
    }
    if (limits.size === 0) return limits;
    const keys = [...limits.keys()].map((k) => k.split('\u0000'));
    const r = await client.query<{ dag_id: string; task_id: string; n: number }>(
      `SELECT dag_id, task_id, count(*)::int AS n FROM task_instance
       WHERE state IN ('queued', 'running') AND (dag_id, task_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       GROUP BY dag_id, task_id`,
      [keys.map((k) => k[0]), keys.map((k) => k[1])],
    );
    for (const row of r.rows) {
      const limit = limits.get(`${row.dag_id}\u0000${row.task_id}`);
      if (limit) limit.active = row.n;
    }
    return limits;
  }

  /** Hands queued tries to the executor, each with a token for that try only. */
  private async submit(queued: Awaited<ReturnType<typeof queueTis>>) {
    const { executor, config } = this.deps;
    for (const ti of queued) {
      const dag = await this.version(ti.dag_version_id);
      const task = dag.tasks.find((t) => t.task_id === ti.task_id);
      const token = await signToken(
        this.deps.secret,
        { kind: 'task', sub: ti.id, dag_id: ti.dag_id, run_id: ti.run_id, task_id: ti.task_id, map_index: ti.map_index, try_number: ti.try_number },
        (task?.execution_timeout_seconds ?? 86_400) + 3600,
      );
      executor.submit({
        ti_id: ti.id,
        dag_id: ti.dag_id,
        task_id: ti.task_id,
        run_id: ti.run_id,
        map_index: ti.map_index,
        try_number: ti.try_number,
        dag_file: dag.fileloc,
        token,
        api_url: this.deps.apiUrl,
        log_path: path.join(config.str('logging', 'base_log_folder'), logRelativePath(ti)),
        execution_timeout_seconds: task?.execution_timeout_seconds ?? null,
        heartbeat_seconds: config.float('scheduler', 'task_instance_heartbeat_sec'),
        kill_grace_seconds: config.float('core', 'killed_task_cleanup_time'),
      });
    }
  }

  private async failTry(ti: TaskInstanceRow, reason: string, expected: TiState[]) {
    const { pool, config, log } = this.deps;
    const run = await pool.query<{ dag_version_id: number }>('SELECT dag_version_id FROM dag_run WHERE dag_id = $1 AND run_id = $2', [ti.dag_id, ti.run_id]);
    if (!run.rows[0]) return;
    const dag = await this.version(run.rows[0].dag_version_id);
    const task = dag.tasks.find((t) => t.task_id === ti.task_id);
    const done = await finishTry(
      pool,
      ti.id,
      'failed',
      {
        retry_delay_seconds: task?.retry_delay_seconds ?? 300,
        retry_exponential_backoff: task?.retry_exponential_backoff ?? false,
        max_retry_delay_seconds: task?.max_retry_delay_seconds ?? null,
      },
      expected,
    );
    if (!done) return;
    // the dead process could not run its on_failure/on_retry callback or send its alert: the callback runner does
    await requestTaskCallback(pool, dag, ti, done.state ?? '', reason);
    const file = path.join(config.str('logging', 'base_log_folder'), logRelativePath(ti));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, `[${new Date().toISOString()}] {scheduler} ERROR - ${reason} Marked ${done.state}.\n`);
    log.warn({ dag_id: ti.dag_id, task_id: ti.task_id, run_id: ti.run_id, try_number: ti.try_number, state: done.state }, reason);
    this.wake();
  }

  /** A task process ended. If it did not report a state itself (crash, kill -9, timeout), the try failed. */
  private async handleProcessExit(exit: ProcessExit) {
    // exit code 0: the runner finished its protocol (reported a state, or was
    // told not to start); nothing to check, and no query at every handoff
    if (exit.code === 0 && !exit.timed_out) return;
    const ti = await getTiById(this.deps.pool, exit.ti_id);
    if (ti?.state === 'restarting') {
      // it was cleared while running and has now stopped: run it again
      if (await releaseRestarting(this.deps.pool, { id: ti.id })) this.wake();
      return;
    }
    if (ti && (ti.state === 'running' || ti.state === 'queued')) {
      const how = exit.timed_out
        ? 'was killed after running past its execution_timeout'
        : exit.signal
          ? `was killed by ${exit.signal}`
          : `exited with code ${exit.code}`;
      await this.failTry(ti, `Task process (try ${ti.try_number}) ${how} without reporting a state.`, ['running', 'queued']);
    } else if (ti && exit.code === 3 && (ti.state === 'success' || ti.state === 'failed')) {
      // marked success or failed while it ran: that state's callback runs all the same (Airflow's rule), with no alert email
      const run = await this.deps.pool.query<{ dag_version_id: number }>('SELECT dag_version_id FROM dag_run WHERE dag_id = $1 AND run_id = $2', [ti.dag_id, ti.run_id]);
      if (run.rows[0]) await requestTaskCallback(this.deps.pool, await this.version(run.rows[0].dag_version_id), ti, ti.state, `task marked as ${ti.state} externally`, false);
    }
  }
}

async function previousRunStates(client: pg.PoolClient, run: DagRunRow): Promise<{ states: Map<string, TiState | null>; active: boolean } | null> {
  const prev = await client.query<{ run_id: string; state: string }>(
    `SELECT run_id, state FROM dag_run WHERE dag_id = $1 AND logical_date < $2 ORDER BY logical_date DESC LIMIT 1`,
    [run.dag_id, run.logical_date],
  );
  if (!prev.rows[0]) return null;
  const tis = await client.query<{ task_id: string; state: TiState | null }>(
    'SELECT task_id, state FROM task_instance WHERE dag_id = $1 AND run_id = $2',
    [run.dag_id, prev.rows[0].run_id],
  );
  return { states: new Map(tis.rows.map((t) => [t.task_id, t.state])), active: ['queued', 'running'].includes(prev.rows[0].state) };
}


/**
 * The triggerer: runs the triggers of deferred tasks, many at once in one
 * process (they only await), and resumes each task when its trigger yields an
 * event. Airflow's TriggererJob. Triggers live in the database, so a stopped
 * triggerer's triggers are picked up by another (or by it after a restart)
 * once its heartbeat is stale.
 */
import type pg from 'pg';
import type { BaseTrigger } from '@updraft/sdk';
import { claimTriggers, fireTrigger, timeOutDeferrals, type TriggerRow } from '../db/sql/deferral.ts';
import { endJob, heartbeatJob, startJob } from '../db/sql/jobs.ts';
import { notifyScheduler } from '../db/sql/task-instances.ts';
import type { Logger } from '../util/logger.ts';
import { loadTrigger } from './load-trigger.ts';

export interface TriggererDeps {
  pool: pg.Pool;
  log: Logger;
  /** [triggerer] capacity: triggers this process runs at most */
  capacity: number;
  /** seconds between passes when nothing wakes it */
  pollSeconds: number;
  /** a trigger owned by a triggerer silent this long is taken over */
  heartbeatTimeoutSeconds: number;
  /** wakes a scheduler in this process at once when a task resumes */
  onResume?: (dagId: string) => void;
}

interface RunningTrigger {
  trigger: BaseTrigger | null;
  stop: () => void;
}

export class Triggerer {
  private readonly deps: TriggererDeps;
  private readonly running = new Map<string, RunningTrigger>();
  private jobId = 0;
  private active = false;
  private wakeUp: (() => void) | null = null;
  private wakeRequested = false;
  private listener: pg.PoolClient | null = null;
  private loopDone: Promise<void> | null = null;

  constructor(deps: TriggererDeps) {
    this.deps = deps;
  }

  async start(): Promise<void> {
    this.jobId = await startJob(this.deps.pool, 'TriggererJob');
    this.active = true;
    const listener = await this.deps.pool.connect();
    listener.on('notification', () => this.wake());
    await listener.query('LISTEN updraft_triggerer');
    this.listener = listener;
    this.loopDone = this.loop();
    this.deps.log.info({ job_id: this.jobId, capacity: this.deps.capacity }, 'triggerer started');
  }

  /** A task was deferred: look for its trigger now rather than at the next poll. */
  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.wake();
    await this.loopDone;
    for (const [id, r] of this.running) {
      r.stop();
      this.running.delete(id);
    }
    if (this.listener) {
      await this.listener.query('UNLISTEN *').catch(() => undefined);
      this.listener.release();
    }
    await endJob(this.deps.pool, this.jobId).catch(() => undefined);
  }

  /** Number of triggers running in this process (for tests and health). */
  get runningCount(): number {
    return this.running.size;
  }

  private async loop() {
    while (this.active) {
      this.wakeRequested = false;
      try {
        await this.pass();
      } catch (err) {
        this.deps.log.error({ err }, 'triggerer pass failed; retrying');
      }
      if (!this.active || this.wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.pollSeconds * 1000);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
  }

  private async pass() {
    const { pool } = this.deps;
    await heartbeatJob(pool, this.jobId);
    if (await timeOutDeferrals(pool)) await notifyScheduler(pool, '', 'task');
    const rows = await claimTriggers(pool, this.jobId, this.deps.capacity, this.deps.heartbeatTimeoutSeconds);
    const wanted = new Set(rows.map((r) => r.id));
    // triggers no task waits on any more (cleared, marked, timed out): stop them
    for (const [id, r] of this.running) {
      if (!wanted.has(id)) {
        r.stop();
        this.running.delete(id);
      }
    }
    for (const row of rows) if (!this.running.has(row.id)) this.launch(row);
  }

  private launch(row: TriggerRow) {
    let stopped = false;
    // an async generator awaiting inside cannot be interrupted by return(): stop races it instead
    let interrupt: () => void = () => undefined;
    const interrupted = new Promise<IteratorResult<unknown>>((resolve) => {
      interrupt = () => resolve({ done: true, value: undefined });
    });
    const entry: RunningTrigger = {
      trigger: null,
      stop: () => {
        stopped = true;
        interrupt();
      },
    };
    this.running.set(row.id, entry);
    const { log } = this.deps;
    void (async () => {
      let outcome: { event: unknown } | { error: string };
      try {
        const trigger = await loadTrigger(row.classpath, row.kwargs, row.fileloc);
        entry.trigger = trigger;
        const iterator = trigger.run()[Symbol.asyncIterator]();
        entry.stop = () => {
          stopped = true;
          interrupt();
          void iterator.return?.().catch(() => undefined);
          void trigger.cleanup().catch(() => undefined);
        };
        if (stopped) return;
        const next = (await Promise.race([iterator.next(), interrupted])) as IteratorResult<{ payload?: unknown }>;
        if (stopped) return;
        await iterator.return?.().catch(() => undefined);
        await trigger.cleanup().catch(() => undefined);
        if (next.done) throw new Error('the trigger ended without yielding an event');
        outcome = { event: next.value?.payload ?? null };
        log.info({ trigger_id: row.id, classpath: row.classpath }, 'trigger fired');
      } catch (err) {
        if (stopped) return;
        outcome = { error: (err as Error).stack ?? String(err) };
        log.warn({ trigger_id: row.id, classpath: row.classpath, err }, 'trigger failed');
      }
      try {
        for (const dagId of await fireTrigger(this.deps.pool, row.id, outcome)) {
          this.deps.onResume?.(dagId);
          await notifyScheduler(this.deps.pool, dagId, 'task');
        }
      } catch (err) {
        log.error({ trigger_id: row.id, err }, 'could not resume the deferred task; retrying at the next pass');
        this.running.delete(row.id);
        return;
      }
      this.running.delete(row.id);
    })();
  }
}

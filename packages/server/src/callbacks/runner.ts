/**
 * The callback runner (Airflow runs DAG callbacks, and the failure callbacks
 * of tries whose process died, in its DAG processor; so does Updraft: it
 * starts with the DAG processor, in standalone too). Claims callback requests
 * the scheduler queued when runs finished or tries were failed, runs each
 * in a child process that imports the DAG file (killed after [dag_processor]
 * dag_file_processor_timeout), and records the outcome on the request, in the
 * run's dag_callback.log and in the component log. Requests live in the
 * database, so a runner that stops or dies loses none: a claim left behind
 * is taken again once it is older than the timeout.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Config } from '../config/config.ts';
import { getDagRun } from '../db/sql/dag-runs.ts';
import { signToken } from '../security/tokens.ts';
import { TaskLog } from '../task-runner/task-log.ts';
import type { Logger } from '../util/logger.ts';
import { logRelativePath } from '../executors/workload.ts';
import type { CallbackOutcome } from './callback-process.ts';
import type { CallbackJob } from './dag-callback-context.ts';
import {
  abandonStaleCallbackRequests,
  CALLBACK_CHANNEL,
  type CallbackRequestRow,
  claimCallbackRequest,
  finishCallbackRequest,
  purgeSettledCallbackRequests,
} from './requests.ts';

const PROCESS_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'callback-process.ts');
/** a request whose process was lost (runner killed) is retried this many times in all */
const MAX_ATTEMPTS = 3;
/** backstop when a notification is missed (another database session, a reconnect) */
const POLL_MS = 2_000;
/** settled requests are kept this long (days), looked at once an hour */
const KEEP_DAYS = 30;
const PURGE_EVERY_MS = 3_600_000;

export interface CallbackRunnerDeps {
  pool: pg.Pool;
  config: Config;
  log: Logger;
  /** callbacks running at once */
  concurrency?: number;
  /**
   * How callbacks reach Variables, Connections and XCom: the api-server's URL
   * and the secret that signs its tokens (the callback process never gets
   * database access).
   */
  execution: { apiUrl: string; secret: Uint8Array };
}

/** Airflow's layout, beside the run's task folders: dag_id=…/run_id=…/dag_callback.log */
export function dagCallbackLogPath(config: Config, dagId: string, runId: string): string {
  return path.join(config.str('logging', 'base_log_folder'), `dag_id=${dagId}`, `run_id=${runId}`, 'dag_callback.log');
}

export class DagCallbackRunner {
  private readonly deps: CallbackRunnerDeps;
  private readonly children = new Set<ChildProcess>();
  private listener: pg.PoolClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private active = 0;
  private lastPurge = 0;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(deps: CallbackRunnerDeps) {
    this.deps = deps;
  }

  private get timeoutSeconds(): number {
    return this.deps.config.float('dag_processor', 'dag_file_processor_timeout');
  }

  async start(): Promise<void> {
    const listener = await this.deps.pool.connect();
    listener.on('notification', () => this.wake());
    await listener.query(`LISTEN ${CALLBACK_CHANNEL}`);
    this.listener = listener;
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.listener) {
      await this.listener.query('UNLISTEN *').catch(() => undefined);
      this.listener.release();
      this.listener = null;
    }
    // a callback cut short stays claimed and is run again by the next runner
    for (const child of this.children) killGroup(child);
    await this.draining;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Looks for work now (coalesces with a look already under way). */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err) => {
        if (!this.stopped) this.deps.log.error({ err }, 'looking for callbacks failed');
      })
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain() {
    const { pool, log } = this.deps;
    const stale = this.timeoutSeconds + 30;
    if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      await purgeSettledCallbackRequests(pool, KEEP_DAYS);
    }
    for (const gone of await abandonStaleCallbackRequests(pool, stale, MAX_ATTEMPTS)) {
      log.error({ dag_id: gone.dag_id, run_id: gone.run_id, task_id: gone.ti_task_id ?? undefined, callback: gone.callback }, gone.error ?? 'callback abandoned');
    }
    while (!this.stopped && this.active < (this.deps.concurrency ?? 2)) {
      const request = await claimCallbackRequest(pool, stale, MAX_ATTEMPTS);
      if (!request) return;
      this.active++;
      const work = this.run(request)
        .catch((err) => log.error({ err, dag_id: request.dag_id, run_id: request.run_id }, 'callback could not be run'))
        .finally(() => {
          this.active--;
          this.inFlight.delete(work);
          this.wake();
        });
      this.inFlight.add(work);
    }
  }

  private async run(request: CallbackRequestRow) {
    const { pool, config, log } = this.deps;
    const where = { kind: request.kind, dag_id: request.dag_id, run_id: request.run_id, task_id: request.ti_task_id ?? undefined, callback: request.callback, reason: request.reason };
    // a DAG callback has its own log; a try's callbacks go on in the try's log
    const logPath =
      request.kind === 'task'
        ? path.join(config.str('logging', 'base_log_folder'), logRelativePath({ dag_id: request.dag_id, run_id: request.run_id, task_id: request.ti_task_id ?? '', map_index: request.ti_map_index ?? -1, try_number: request.ti_try_number ?? 0 }))
        : dagCallbackLogPath(config, request.dag_id, request.run_id);
    const job = await this.jobFor(request, logPath);
    const outcome: CallbackOutcome = job ? await this.runInProcess(job) : { ok: false, error: `the run ${request.run_id} of DAG '${request.dag_id}' no longer exists` };
    if (this.stopped && !outcome.ok) return; // cut short by stop(): left claimed for the next runner
    await finishCallbackRequest(pool, request.id, request.attempts, outcome.ok ? 'success' : 'failed', outcome.error);
    if (outcome.ok) log.info({ ...where, log: logPath }, `${request.kind === 'dag' ? 'DAG' : 'task'} callback ran`);
    else log.error({ ...where, log: logPath, error: outcome.error }, `${request.kind === 'dag' ? 'DAG' : 'task'} callback failed`);
  }

  /** The run and task instance as they are now (read here: the callback process has no database). */
  private async jobFor(request: CallbackRequestRow, logPath: string): Promise<CallbackJob | null> {
    const { pool, config } = this.deps;
    const run = await getDagRun(pool, request.dag_id, request.run_id);
    if (!run) return null;
    const ti = request.ti_task_id
      ? (
          await pool.query<{ task_id: string; map_index: number; try_number: number; max_tries: number; state: string | null; start_date: Date | null; end_date: Date | null }>(
            `SELECT task_id, map_index, try_number, max_tries, state, start_date, end_date FROM task_instance
             WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4`,
            [request.dag_id, request.run_id, request.ti_task_id, request.ti_map_index ?? -1],
          )
        ).rows[0] ?? null
      : null;
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const execution = this.deps.execution;
    // a task token naming no task: reads (Variables, Connections, XCom) work, pushing XComs as a task does not
    const token = await signToken(
      execution.secret,
      { kind: 'task', sub: `callback-${request.id}`, dag_id: run.dag_id, run_id: run.run_id, task_id: '', map_index: -1, try_number: 0 },
      Math.ceil(this.timeoutSeconds) + 60,
    );
    return {
      kind: request.kind,
      request_id: request.id,
      dag_file: request.fileloc,
      log_path: logPath,
      callback: request.callback,
      reason: request.reason,
      send_alert: request.send_alert,
      dag_run_conf_overrides_params: config.bool('core', 'dag_run_conf_overrides_params'),
      execution: { api_url: execution.apiUrl, token },
      dag_run: {
        dag_id: run.dag_id,
        run_id: run.run_id,
        run_type: run.run_type,
        state: run.state,
        logical_date: iso(run.logical_date),
        data_interval_start: iso(run.data_interval_start),
        data_interval_end: iso(run.data_interval_end),
        run_after: run.run_after.toISOString(),
        start_date: iso(run.start_date),
        end_date: iso(run.end_date),
        conf: run.conf,
      },
      // the failed try, for a task request (the instance may be on its next try by now)
      ti: ti && { ...ti, try_number: request.ti_try_number ?? ti.try_number, start_date: iso(ti.start_date), end_date: iso(ti.end_date) },
    };
  }

  private runInProcess(job: CallbackJob): Promise<CallbackOutcome> {
    const seconds = this.timeoutSeconds;
    return new Promise((resolve) => {
      const home = this.deps.config.home;
      const child = fork(PROCESS_SOURCE, [], {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'json',
        // the installation's settings ([smtp] for send_email) are read through $UPDRAFT_HOME
        env: { ...process.env, UPDRAFT_HOME: home, AIRFLOW_HOME: home },
      });
      this.children.add(child);
      let stderr = '';
      let settled = false;
      const settle = (outcome: CallbackOutcome, fromRunner = true) => {
        if (settled) return;
        settled = true;
        // what the process could not write itself (a timeout, a crash) goes into the same log
        if (fromRunner && !outcome.ok) appendToLog(job.log_path, outcome.error ?? 'failed');
        clearTimeout(timer);
        this.children.delete(child);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        killGroup(child);
        settle({ ok: false, error: `Timeout: the DAG callback ran longer than [dag_processor] dag_file_processor_timeout (${seconds} s) and was killed` });
      }, seconds * 1000);
      child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
      child.on('message', (outcome: CallbackOutcome) => settle(outcome, false));
      child.on('exit', (code, signal) => {
        const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        settle({ ok: false, error: `the DAG callback process ${why} before it answered${stderr.trim() ? `\n${stderr.trim()}` : ''}` });
      });
      child.on('error', (err) => settle({ ok: false, error: `the DAG callback process could not start: ${err.message}` }));
      child.send(job);
    });
  }
}

function killGroup(child: ChildProcess) {
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Appends one error line to a dag_callback.log. */
function appendToLog(file: string, message: string) {
  try {
    const log = new TaskLog(file);
    log.write('dag_callback', 'ERROR', message);
    log.close();
  } catch {
    // the folder is not writable: the component log still has it
  }
}

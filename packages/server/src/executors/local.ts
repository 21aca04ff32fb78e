/**
 * The local executor: one child process per task try, at most [core] parallelism
 * at once. A few processes are started ahead of time and wait, idle, for a
 * workload: a try then starts without paying Node's boot time, and still gets a
 * process of its own that exits when the try ends.
 */
import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRIPPED_CACHE_ENV, strippedCacheDir } from '../task-runner/stripped-cache.ts';
import type { Executor, ProcessExit, Workload } from './workload.ts';

/** The task process started from the TypeScript sources (when no bundle could be built). */
export const RUNNER_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'task-runner', 'main.ts');

/** The pool is refilled once no try was submitted for this long (see replaceLater)… */
const QUIET_MS = 100;
/** …one process at a time, this far apart, so that the thread is never stalled for long. */
const REFILL_STEP_MS = 10;
/** Below this many idle processes, each one taken is replaced as soon as its try has started. */
const LOW_WATER = 4;
/** When a try has not reported its start by then (a slow or failing start), its process is replaced anyway. */
const REFILL_FALLBACK_MS = 250;

interface Running {
  child: ChildProcess;
  workload: Workload;
  timedOut: boolean;
  timer?: NodeJS.Timeout;
}

export interface LocalExecutorOptions {
  parallelism: number;
  warmProcesses: number;
  /** $UPDRAFT_HOME of the installation, passed to task processes */
  home?: string;
  /** file a task process starts from: the bundled entry (see runner-bundle.ts) or RUNNER_SOURCE */
  runnerEntry?: string;
  /** api-server the tasks will call: idle processes connect to it ahead of time */
  apiUrl?: string;
}

export class LocalExecutor implements Executor {
  private readonly options: LocalExecutorOptions;
  private readonly warm: ChildProcess[] = [];
  private readonly active = new Map<string, Running>();
  private readonly listeners: ((exit: ProcessExit) => void)[] = [];
  private stopping = false;
  private lastSubmit = 0;
  private quietTimer: NodeJS.Timeout | undefined;
  private readonly shrinkTimer: NodeJS.Timeout;

  constructor(options: LocalExecutorOptions) {
    this.options = options;
    this.refill();
    this.shrinkTimer = setInterval(() => this.shrinkWhenIdle(), 10_000);
    this.shrinkTimer.unref();
  }

  /**
   * How many idle processes to keep: the full pool while tasks are flowing,
   * one when nothing ran for a while (each idle process holds ~50 MB).
   */
  private warmTarget(): number {
    const busy = Date.now() - this.lastSubmit < 30_000;
    return busy ? this.options.warmProcesses : Math.min(1, this.options.warmProcesses);
  }

  private shrinkWhenIdle() {
    while (this.warm.length > this.warmTarget()) this.warm.pop()?.kill('SIGKILL');
  }

  freeSlots(): number {
    return Math.max(0, this.options.parallelism - this.active.size);
  }

  running(): string[] {
    return [...this.active.keys()];
  }

  onExit(listener: (exit: ProcessExit) => void): void {
    this.listeners.push(listener);
  }

  private spawnRunner(): ChildProcess {
    // detached: each try is its own process group, so a timeout kills the
    // commands it started (bash, …) along with it
    const child = fork(this.options.runnerEntry ?? RUNNER_SOURCE, [], {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
      // reuse compiled code across task processes: a third less start-up work each
      env: {
        ...process.env,
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), 'updraft-compile-cache'),
        ...(this.options.apiUrl ? { UPDRAFT_EXECUTION_API_URL: this.options.apiUrl } : {}),
        // task code may look for the installation's files (updraft.cfg …), as Airflow tasks read $AIRFLOW_HOME
        ...(this.options.home ? { UPDRAFT_HOME: this.options.home, AIRFLOW_HOME: this.options.home } : {}),
        // DAG files load pre-stripped of their types: no TypeScript stripper to start in each task process
        ...(this.options.home ? { [STRIPPED_CACHE_ENV]: strippedCacheDir(this.options.home) } : {}),
      },
    });
    child.on('error', () => undefined);
    return child;
  }

  /** Starts idle processes up to the pool's target (`at most` of them now). */
  private refill(atMost = Number.POSITIVE_INFINITY) {
    if (this.stopping) return;
    for (let n = 0; n < atMost && this.warm.length < this.warmTarget(); n++) {
      const child = this.spawnRunner();
      this.warm.push(child);
      child.once('exit', () => {
        const i = this.warm.indexOf(child);
        if (i >= 0) this.warm.splice(i, 1);
      });
    }
  }

  submit(workload: Workload): void {
    this.lastSubmit = Date.now();
    const child = this.warm.shift() ?? this.spawnRunner();
    const entry: Running = { child, workload, timedOut: false };
    this.active.set(workload.ti_id, entry);
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => {
      if (entry.timer) clearTimeout(entry.timer);
      this.active.delete(workload.ti_id);
      const exit: ProcessExit = { ti_id: workload.ti_id, code, signal, log_path: workload.log_path, timed_out: entry.timedOut };
      for (const l of this.listeners) l(exit);
    });
    child.send({ type: 'run', workload });
    this.replaceLater(child);
    if (workload.execution_timeout_seconds !== null) {
      // The task process enforces execution_timeout itself and reports the
      // failure; this is the backstop for a process too stuck to do so.
      const ms = (workload.execution_timeout_seconds + workload.kill_grace_seconds + 5) * 1000;
      entry.timer = setTimeout(() => {
        entry.timedOut = true;
        killGroup(child, 'SIGKILL');
      }, ms);
      entry.timer.unref();
    }
  }

  /**
   * When to start the processes that replace the ones tries took. Starting one
   * stalls this thread (shared by the api-server and the scheduler) for 5-12 ms
   * of fork and exec, and the new process then boots for ~30 ms of CPU: on two
   * cores, either one during a handoff doubled its latency (measured: a 10-task
   * chain's handoff p50 went from ~10 to ~20 ms). So the pool is refilled once
   * tries stop arriving for a moment (QUIET_MS), a process at a time; a new try
   * stops the refill. Only when the pool runs low does a replacement start at
   * once, after the try that took a process reports that it started (its
   * handoff is over), so that a burst never waits for a cold boot.
   */
  private replaceLater(taken: ChildProcess) {
    this.refillWhenQuiet(QUIET_MS);
    if (this.warm.length >= LOW_WATER) return;
    let replaced = false;
    const replaceOne = () => {
      if (replaced) return;
      replaced = true;
      clearTimeout(fallback);
      this.refill(1);
    };
    // a try that never reports its start (it failed first) is replaced anyway
    const fallback = setTimeout(replaceOne, REFILL_FALLBACK_MS);
    fallback.unref();
    taken.on('message', (m: { type?: string }) => {
      if (m?.type === 'started') setImmediate(replaceOne);
    });
  }

  private refillWhenQuiet(delayMs: number) {
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.refill(1);
      if (this.warm.length < this.warmTarget()) this.refillWhenQuiet(REFILL_STEP_MS);
    }, delayMs);
    this.quietTimer.unref();
  }

  /** Stops idle processes and waits for running tries (they are killed after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.shrinkTimer);
    clearTimeout(this.quietTimer);
    for (const child of this.warm.splice(0)) child.kill('SIGKILL');
    const waits = [...this.active.values()].map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
          r.child.once('exit', () => resolve());
          killGroup(r.child, 'SIGTERM');
          setTimeout(() => killGroup(r.child, 'SIGKILL'), graceMs).unref();
        }),
    );
    await Promise.all(waits);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

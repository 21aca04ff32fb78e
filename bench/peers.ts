/**
 * Peers in the same run: the handoff and throughput workloads on job queues
 * that run on this machine, reported as Updraft ÷ peer.
 *  - graphile-worker on PostgreSQL (the embedded PostgreSQL binaries Updraft
 *    ships, a fresh data folder);
 *  - BullMQ on its PostgreSQL backend (same server, its own schema), and on
 *    Redis when a `redis-server` binary is on PATH.
 * Each peer runs its jobs in-process (a function call per job); Updraft runs each
 * task try in its own process. A job queue has no DAGs: a chain is built the way
 * an orchestrator drives it, by enqueuing step k+1 when the queue reports step k
 * completed. Workloads (sizes as in handoff.ts and throughput.ts):
 *  - linear: RUNS chains of 10 no-op jobs one after the other; handoff = step k+1's
 *    function start minus the completion event of step k;
 *  - wide: WIDE_TASKS no-op jobs enqueued at once (one bulk insert);
 *  - many_linear: MANY_DAGS chains of 10 at once.
 * Throughput = jobs / (first enqueue to the queue reporting nothing left to run).
 * Concurrency 32, as Updraft's [core] parallelism in throughput.ts.
 * Updraft's numbers are read from bench/results (handoff, throughput_*), written
 * earlier in the same `npm run bench`.
 *
 *   npm run bench -- peers
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue, Worker, createPostgresBackend } from 'bullmq';
import { Logger, makeWorkerUtils, run } from 'graphile-worker';
import pg from 'pg';
import { freePort, startEmbeddedPostgres } from '../packages/server/src/db/embedded.ts';
import { RESULTS, freshHome, percentile, printTable, round, size, waitUntil, writeResult } from './lib.ts';

const RUNS = size('RUNS', 20, 5);
const STEPS = 10;
const WIDE = size('WIDE_TASKS', 1000, 50);
const MANY = size('MANY_DAGS', 100, 5);
const CONCURRENCY = 32;

interface Job { w: string; c: number; s: number } // workload, chain, step
interface Hooks { started(job: Job): void; completed(job: Job): void }
interface Driver {
  add(jobs: Job[]): Promise<void>;
  /** jobs not yet completed according to the queue's own store */
  pending(): Promise<number>;
  stop(): Promise<void>;
}

const quiet = new Logger(() => () => undefined);

async function graphileWorker(url: string, hooks: Hooks): Promise<Driver> {
  const runner = await run({
    connectionString: url,
    concurrency: CONCURRENCY,
    maxPoolSize: CONCURRENCY + 2,
    noHandleSignals: true,
    logger: quiet,
    crontab: '',
    taskList: { step: async (payload) => hooks.started(payload as Job) },
  });
  runner.events.on('job:complete', ({ job, error }) => {
    if (!error) hooks.completed(job.payload as Job);
  });
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  return {
    async add(jobs) {
      if (jobs.length === 1) await utils.addJob('step', jobs[0]);
      else await utils.addJobs(jobs.map((payload) => ({ identifier: 'step', payload })));
    },
    async pending() {
      return (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')).rows[0].n;
    },
    async stop() {
      await runner.stop();
      await utils.release();
      await pool.end();
    },
  };
}

async function bullmq(connection: object, backend: typeof createPostgresBackend | undefined, hooks: Hooks): Promise<Driver> {
  const name = `bench_${Date.now()}`;
  // the two constructor forms (explicit backend or the default Redis one) have different option types
  const queue = backend ? new Queue(name, { connection: connection as never }, backend) : new Queue(name, { connection: connection as never });
  const processor = async (job: { data: Job }) => hooks.started(job.data);
  const worker = backend
    ? new Worker(name, processor, { connection: connection as never, concurrency: CONCURRENCY }, backend)
    : new Worker(name, processor, { connection: connection as never, concurrency: CONCURRENCY });
  let closed = false; // once closed, the server going away is expected
  for (const emitter of [queue, worker] as { on(e: 'error', l: (err: Error) => void): unknown }[]) emitter.on('error', (err) => closed || console.error(`  bullmq: ${err.message}`));
  worker.on('completed', (job: { data: Job }) => hooks.completed(job.data));
  await worker.waitUntilReady();
  return {
    async add(jobs) {
      if (jobs.length === 1) await queue.add('step', jobs[0]);
      else await queue.addBulk(jobs.map((data) => ({ name: 'step', data })));
    },
    async pending() {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async stop() {
      closed = true;
      await worker.close();
      await queue.close();
    },
  };
}

interface PeerResult { handoff_ms: { p50: number; p95: number; max: number; samples: number }; wide_ti_per_second: number; many_linear_ti_per_second: number }

/** Runs the three workloads on one peer; `make` builds the driver around the hooks that time the jobs. */
async function measure(make: (hooks: Hooks) => Promise<Driver>): Promise<PeerResult> {
  const startedAt = new Map<string, number>();
  const completedAt = new Map<string, number>();
  let completions = 0;
  let driver: Driver | null = null;
  const key = (j: Job) => `${j.w}/${j.c}/${j.s}`;
  const chained = new Set(['linear', 'many']);
  driver = await make({
    started(job) {
      startedAt.set(key(job), performance.now());
    },
    completed(job) {
      completedAt.set(key(job), performance.now());
      completions++;
      // the orchestrator's part: the next step is enqueued when the queue reports this one done
      if (chained.has(job.w) && job.s < STEPS - 1) void driver?.add([{ ...job, s: job.s + 1 }]).catch((err: Error) => console.error(`  enqueue failed: ${err.message}`));
    },
  });
  const d = driver;
  try {
    const untilDone = async (expected: number, what: string) => {
      await waitUntil(async () => completions >= expected, 600_000, what, 2);
      await waitUntil(async () => (await d.pending()) === 0, 60_000, `${what}: the queue to drain`, 5);
      return performance.now();
    };
    // linear: one chain after another
    const handoffs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      completions = 0;
      await d.add([{ w: 'linear', c: r, s: 0 }]);
      await untilDone(STEPS, `chain ${r}`);
      for (let s = 1; s < STEPS; s++) handoffs.push((startedAt.get(`linear/${r}/${s}`) as number) - (completedAt.get(`linear/${r}/${s - 1}`) as number));
    }
    handoffs.sort((a, b) => a - b);
    const throughput = async (w: string, jobs: Job[], total: number) => {
      completions = 0;
      const t = performance.now();
      await d.add(jobs);
      const end = await untilDone(total, w);
      return round(total / ((end - t) / 1000));
    };
    const wide = await throughput('wide', Array.from({ length: WIDE }, (_, c) => ({ w: 'wide', c, s: 0 })), WIDE);
    const many = await throughput('many', Array.from({ length: MANY }, (_, c) => ({ w: 'many', c, s: 0 })), MANY * STEPS);
    return {
      handoff_ms: { p50: round(percentile(handoffs, 50)), p95: round(percentile(handoffs, 95)), max: round(handoffs[handoffs.length - 1]), samples: handoffs.length },
      wide_ti_per_second: wide,
      many_linear_ti_per_second: many,
    };
  } finally {
    await d.stop();
  }
}

function onPath(binary: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function withRedis<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    await waitUntil(() => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    }), 10_000, 'redis-server to listen', 20);
    return await fn(port);
  } finally {
    child.kill('SIGTERM');
  }
}

/** Updraft's numbers from the handoff and throughput scenarios' result files. */
function updraftResults(): { handoff_p50_ms?: number; wide_ti_per_second?: number; many_linear_ti_per_second?: number; at: string[] } {
  const read = (name: string): Record<string, any> | null => {
    try {
      return JSON.parse(fs.readFileSync(path.join(RESULTS, `${name}.json`), 'utf8')) as Record<string, any>;
    } catch {
      return null;
    }
  };
  const h = read('handoff');
  const w = read('throughput_wide');
  const m = read('throughput_many_linear');
  // a ratio of different sizes would compare different workloads
  if (w && w.task_instances !== WIDE) console.log(`  note: Updraft's wide result is of ${w.task_instances} tasks, the peers ran ${WIDE}`);
  if (m && m.task_instances !== MANY * STEPS) console.log(`  note: Updraft's many_linear result is of ${m.task_instances} tasks, the peers ran ${MANY * STEPS}`);
  if (h && h.runs !== RUNS) console.log(`  note: Updraft's handoff result is of ${h.runs} runs, the peers ran ${RUNS}`);
  return { handoff_p50_ms: h?.handoff_ms?.p50, wide_ti_per_second: w?.ti_per_second, many_linear_ti_per_second: m?.ti_per_second, at: [h, w, m].filter(Boolean).map((r) => r?.at as string) };
}

const peers: Record<string, PeerResult | { skipped: string }> = {};
const { home, cleanup } = freshHome();
const db = await startEmbeddedPostgres(home);
try {
  console.log(`linear: ${RUNS} chains of ${STEPS}; wide: ${WIDE} jobs; many_linear: ${MANY} chains of ${STEPS}; concurrency ${CONCURRENCY}`);
  peers['graphile-worker (PostgreSQL)'] = await measure((hooks) => graphileWorker(db.url, hooks));
  peers['BullMQ (PostgreSQL backend)'] = await measure((hooks) => bullmq({ connectionString: db.url, migrate: true }, createPostgresBackend, hooks));
  if (onPath('redis-server')) peers['BullMQ (Redis)'] = await withRedis((port) => measure((hooks) => bullmq({ host: '127.0.0.1', port, maxRetriesPerRequest: null }, undefined, hooks)));
  else peers['BullMQ (Redis)'] = { skipped: 'no redis-server binary on PATH' };
} finally {
  await db.stop();
  cleanup();
}

const u = updraftResults();
const ratio = (a: number | undefined, b: number) => (a === undefined ? 'n/a' : `${round(a / b, a / b < 1 ? 3 : 1)}x`);
const rows: (string | number)[][] = [];
const ran = Object.entries(peers).filter((e): e is [string, PeerResult] => !('skipped' in e[1]));
rows.push(['Updraft (bench/results)', u.handoff_p50_ms ?? 'n/a', u.wide_ti_per_second ?? 'n/a', u.many_linear_ti_per_second ?? 'n/a']);
for (const [name, r] of ran) rows.push([name, `${r.handoff_ms.p50} (p95 ${r.handoff_ms.p95})`, r.wide_ti_per_second, r.many_linear_ti_per_second]);
for (const [name, r] of ran) rows.push([`Updraft ÷ ${name}`, ratio(u.handoff_p50_ms, r.handoff_ms.p50), ratio(u.wide_ti_per_second, r.wide_ti_per_second), ratio(u.many_linear_ti_per_second, r.many_linear_ti_per_second)]);
printTable(['system', 'handoff p50 ms', `wide TI/s (${WIDE})`, `${MANY} x ${STEPS} linear TI/s`], rows);
for (const [name, r] of Object.entries(peers)) if ('skipped' in r) console.log(`  ${name}: skipped (${r.skipped})`);
if (u.handoff_p50_ms === undefined || u.wide_ti_per_second === undefined) console.log('  Updraft numbers missing: run the handoff and throughput scenarios first (npm run bench does)');
console.log('  handoff: Updraft ÷ peer > 1 means Updraft waits longer; throughput: < 1 means Updraft finishes fewer per second');
writeResult('peers', {
  sizes: { linear_runs: RUNS, steps: STEPS, wide: WIDE, many_linear: MANY, concurrency: CONCURRENCY },
  updraft: u,
  peers,
  updraft_over_peer: Object.fromEntries(ran.map(([name, r]) => [name, {
    handoff_p50: u.handoff_p50_ms === undefined ? null : round(u.handoff_p50_ms / r.handoff_ms.p50, 3),
    wide_ti_per_second: u.wide_ti_per_second === undefined ? null : round(u.wide_ti_per_second / r.wide_ti_per_second, 4),
    many_linear_ti_per_second: u.many_linear_ti_per_second === undefined ? null : round(u.many_linear_ti_per_second / r.many_linear_ti_per_second, 4),
  }])),
});

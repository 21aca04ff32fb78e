/**
 * Handoff latency: a 10-task linear DAG of trivial tasks, run N times in a
 * standalone on a fresh embedded database. For every edge, downstream start
 * minus upstream end (both recorded by the database clock); p50/p95/max and
 * the wall time of each run. Writes bench/results/handoff.json.
 *
 * Two series of runs:
 *  - from idle: each run starts after PAUSE_MS with nothing running, as a
 *    scheduled DAG run usually does;
 *  - back to back: each run is triggered as soon as the previous one is seen
 *    finished (as the peers' chains run, see peers.ts). The executor then
 *    replaces the task processes it used while the next run is handing off.
 *
 *   npm run bench -- handoff      (RUNS=20 per series by default, PAUSE_MS=1000)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RunningComponents } from '../packages/server/src/components/standalone.ts';
import { benchConfig, freshHome, percentile, runToSuccess, size, standalone, waitForDag, writeResult } from './lib.ts';

const RUNS = size('RUNS', 20, 5);
const PAUSE_MS = size('PAUSE_MS', 1000, 300);
const TASKS = 10;

interface Series {
  handoff_ms: { p50: number; p95: number; max: number; samples: number };
  split_ms: { end_to_queued: { p50: number; p95: number }; queued_to_started: { p50: number; p95: number } };
  run_wall_ms: { p50: number; p95: number; max: number };
}

/** Runs the DAG `RUNS` times (`pauseMs` of quiet before each) and measures every edge. */
async function series(s: RunningComponents, name: string, pauseMs: number): Promise<Series> {
  const pool = s.db.pool;
  const handoffs: number[] = [];
  // the two halves of a handoff: upstream end → downstream queued (scheduler), queued → started (executor and task process)
  const toQueued: number[] = [];
  const toStarted: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    const run = await runToSuccess(s, 'bench_linear', `${name}_${i}`);
    const tis = await pool.query<{ task_id: string; queued_dttm: Date; start_date: Date; end_date: Date }>(
      'SELECT task_id, queued_dttm, start_date, end_date FROM task_instance WHERE dag_id = $1 AND run_id = $2',
      ['bench_linear', run.run_id],
    );
    const byId = new Map(tis.rows.map((t) => [t.task_id, t]));
    for (let k = 1; k < TASKS; k++) {
      const up = byId.get(`step_${k - 1}`);
      const down = byId.get(`step_${k}`);
      if (!up || !down) continue;
      handoffs.push(down.start_date.getTime() - up.end_date.getTime());
      toQueued.push(down.queued_dttm.getTime() - up.end_date.getTime());
      toStarted.push(down.start_date.getTime() - down.queued_dttm.getTime());
    }
    const first = byId.get('step_0');
    const last = byId.get(`step_${TASKS - 1}`);
    if (first && last) walls.push(last.end_date.getTime() - first.start_date.getTime());
  }
  for (const list of [handoffs, toQueued, toStarted, walls]) list.sort((a, b) => a - b);
  return {
    handoff_ms: { p50: percentile(handoffs, 50), p95: percentile(handoffs, 95), max: handoffs[handoffs.length - 1], samples: handoffs.length },
    split_ms: {
      end_to_queued: { p50: percentile(toQueued, 50), p95: percentile(toQueued, 95) },
      queued_to_started: { p50: percentile(toStarted, 50), p95: percentile(toStarted, 95) },
    },
    run_wall_ms: { p50: percentile(walls, 50), p95: percentile(walls, 95), max: walls[walls.length - 1] },
  };
}

function print(title: string, r: Series) {
  console.log(`${title}: ${r.handoff_ms.samples} handoffs (${RUNS} runs of ${TASKS} linear tasks)`);
  console.log(`  p50 ${r.handoff_ms.p50} ms   p95 ${r.handoff_ms.p95} ms   max ${r.handoff_ms.max} ms   (target p50 <= 10, p95 <= 30; issue 2's was 20 / 50)`);
  console.log(`  upstream end → downstream queued p50 ${r.split_ms.end_to_queued.p50} ms (p95 ${r.split_ms.end_to_queued.p95}); queued → started p50 ${r.split_ms.queued_to_started.p50} ms (p95 ${r.split_ms.queued_to_started.p95})`);
  console.log(`  run wall time (first task start to last task end): p50 ${r.run_wall_ms.p50} ms   p95 ${r.run_wall_ms.p95} ms`);
}

const { home, dags, cleanup } = freshHome();
fs.writeFileSync(
  path.join(dags, 'bench_linear.ts'),
  `import { DAG, task, chain } from '@updraft/sdk';
   export default new DAG({ dag_id: 'bench_linear', schedule: null, start_date: '2024-01-01' }, () => {
     const noop = task(function step() { return null; });
     chain(...Array.from({ length: ${TASKS} }, (_, i) => noop.override({ task_id: 'step_' + i })()));
   });`,
);
const s = await standalone(benchConfig(home));
try {
  await waitForDag(s, 'bench_linear');
  const idle = await series(s, 'idle', PAUSE_MS);
  print(`from idle (${PAUSE_MS} ms of quiet before each run)`, idle);
  const busy = await series(s, 'busy', 0);
  print('back to back (each run triggered when the previous finished)', busy);
  writeResult('handoff', {
    runs: RUNS,
    tasks_per_run: TASKS,
    pause_ms: PAUSE_MS,
    // back to back: the workload the peers run (peers.ts compares against this one)
    ...busy,
    from_idle: idle,
    targets: { handoff_p50_ms: 10, handoff_p95_ms: 30 },
  });
} finally {
  await s.stop({ stopEmbedded: true });
  cleanup();
}

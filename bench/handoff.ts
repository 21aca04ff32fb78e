/**
 * Handoff latency: a 10-task linear DAG of trivial tasks, run N times in a
 * standalone on a fresh embedded database. For every edge, downstream start
 * minus upstream end (both recorded by the database clock); p50/p95/max and
 * the wall time of each run. Writes bench/results/handoff.json.
 *
 *   npm run bench            (RUNS=20 by default)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../packages/server/src/config/config.ts';
import { startComponents } from '../packages/server/src/components/standalone.ts';
import { triggerDagRun } from '../packages/server/src/scheduler/runs.ts';

const RUNS = Number(process.env.RUNS ?? 20);
const TASKS = 10;
const here = path.dirname(fileURLToPath(import.meta.url));

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-bench-'));
fs.chmodSync(home, 0o755);
const dags = path.join(home, 'dags');
fs.mkdirSync(dags);
fs.writeFileSync(
  path.join(dags, 'bench_linear.ts'),
  `import { DAG, task, chain } from '@updraft/sdk';
   export default new DAG({ dag_id: 'bench_linear', schedule: null, start_date: '2024-01-01' }, () => {
     const noop = task(function step() { return null; });
     chain(...Array.from({ length: ${TASKS} }, (_, i) => noop.override({ task_id: 'step_' + i })()));
   });`,
);
const config = loadConfig({ ...process.env, UPDRAFT_HOME: home, UPDRAFT__CORE__LOAD_EXAMPLES: 'false', UPDRAFT__API__PORT: '0', UPDRAFT__LOGGING__LOGGING_LEVEL: 'ERROR' });
process.env.UPDRAFT_ADMIN_PASSWORD = 'bench';
const s = await startComponents(config, { apiServer: true, scheduler: true, dagProcessor: true }, () => undefined);
try {
  const pool = s.db.pool;
  while ((await pool.query("SELECT 1 FROM dag WHERE dag_id = 'bench_linear'")).rowCount === 0) await new Promise((r) => setTimeout(r, 50));
  const handoffs: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await triggerDagRun(pool, { dag_id: 'bench_linear', run_id: `bench_${i}`, logical_date: null, triggered_by: 'bench' });
    s.scheduler?.wake();
    while (true) {
      const r = await pool.query<{ state: string }>('SELECT state FROM dag_run WHERE id = $1', [run.id]);
      if (r.rows[0].state === 'success') break;
      if (r.rows[0].state === 'failed') throw new Error(`run ${run.run_id} failed`);
      await new Promise((res) => setTimeout(res, 5));
    }
    const tis = await pool.query<{ task_id: string; start_date: Date; end_date: Date }>(
      'SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = $1 AND run_id = $2',
      ['bench_linear', run.run_id],
    );
    const byId = new Map(tis.rows.map((t) => [t.task_id, t]));
    for (let k = 1; k < TASKS; k++) {
      const up = byId.get(`step_${k - 1}`);
      const down = byId.get(`step_${k}`);
      if (up && down) handoffs.push(down.start_date.getTime() - up.end_date.getTime());
    }
    const first = byId.get('step_0');
    const last = byId.get(`step_${TASKS - 1}`);
    if (first && last) walls.push(last.end_date.getTime() - first.start_date.getTime());
  }
  handoffs.sort((a, b) => a - b);
  walls.sort((a, b) => a - b);
  const result = {
    scenario: 'handoff',
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    runs: RUNS,
    tasks_per_run: TASKS,
    handoff_ms: { p50: percentile(handoffs, 50), p95: percentile(handoffs, 95), max: handoffs[handoffs.length - 1], samples: handoffs.length },
    run_wall_ms: { p50: percentile(walls, 50), p95: percentile(walls, 95), max: walls[walls.length - 1] },
    targets: { handoff_p50_ms: 20, handoff_p95_ms: 50 },
    at: new Date().toISOString(),
  };
  console.log(`handoff latency over ${handoffs.length} handoffs (${RUNS} runs of ${TASKS} linear tasks)`);
  console.log(`  p50 ${result.handoff_ms.p50} ms   p95 ${result.handoff_ms.p95} ms   max ${result.handoff_ms.max} ms   (target p50 <= 20, p95 <= 50)`);
  console.log(`run wall time (first task start to last task end): p50 ${result.run_wall_ms.p50} ms   p95 ${result.run_wall_ms.p95} ms`);
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results', 'handoff.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await s.stop();
  fs.rmSync(home, { recursive: true, force: true });
}

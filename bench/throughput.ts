/**
 * Throughput, end to end in a standalone with real task processes:
 *  - wide: 1 DAG x N parallel no-op tasks (default 1,000)
 *  - many: 100 DAGs x 10 linear no-op tasks, all triggered at once
 * Task instances finished per second, from the trigger to the last task's end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { triggerDagRun } from '../packages/server/src/scheduler/runs.ts';
import { benchConfig, freshHome, size, standalone, waitUntil, writeResult } from './lib.ts';

const WIDE = size('WIDE_TASKS', 1000, 50);
const MANY_DAGS = size('MANY_DAGS', 100, 5);

async function scenario(name: string, files: Record<string, string>, dagIds: string[], tasksPerRun: number) {
  const { home, dags, cleanup } = freshHome();
  for (const [file, source] of Object.entries(files)) fs.writeFileSync(path.join(dags, file), source);
  const config = benchConfig(home, { UPDRAFT__CORE__PARALLELISM: '32', UPDRAFT__CORE__MAX_ACTIVE_TASKS_PER_DAG: '1000', UPDRAFT__DATABASE__MAX_CONNECTIONS: '20' });
  const s = await standalone(config);
  try {
    const pool = s.db.pool;
    await waitUntil(async () => (await pool.query<{ n: number }>('SELECT count(*) AS n FROM dag WHERE is_active')).rows[0].n === dagIds.length, 300_000, 'DAGs to be parsed', 200);
    const started = Date.now();
    for (const dagId of dagIds) await triggerDagRun(pool, { dag_id: dagId, logical_date: null, triggered_by: 'bench' });
    s.scheduler?.wake(true);
    const total = dagIds.length * tasksPerRun;
    await waitUntil(async () => (await pool.query<{ n: number }>("SELECT count(*) AS n FROM dag_run WHERE state IN ('queued', 'running')")).rows[0].n === 0, 1_800_000, 'all runs to finish', 200);
    const failed = (await pool.query<{ n: number }>("SELECT count(*) AS n FROM task_instance WHERE state <> 'success'")).rows[0].n;
    const last = (await pool.query<{ t: Date }>('SELECT max(end_date) AS t FROM task_instance')).rows[0].t;
    const seconds = (last.getTime() - started) / 1000;
    const result = { task_instances: total, not_success: failed, seconds, ti_per_second: Math.round((total / seconds) * 10) / 10, target_ti_per_second: 1000 };
    console.log(`${name.padEnd(18)} ${String(total).padStart(6)} TIs in ${seconds.toFixed(1)} s = ${result.ti_per_second} TI/s${failed ? `  (${failed} not success!)` : ''}`);
    writeResult(`throughput_${name}`, result);
  } finally {
    await s.stop({ stopEmbedded: true });
    cleanup();
  }
}

const noop = `task(function noop() { return null; })`;
await scenario(
  'wide',
  {
    'wide.ts': `import { DAG, task } from '@updraft/sdk';
      export default new DAG({ dag_id: 'bench_wide', schedule: null, start_date: '2024-01-01', max_active_tasks: ${WIDE} }, () => {
        const t = ${noop};
        for (let i = 0; i < ${WIDE}; i++) t.override({ task_id: 't' + i })();
      });`,
  },
  ['bench_wide'],
  WIDE,
);
const files: Record<string, string> = {};
for (let d = 0; d < MANY_DAGS; d++) {
  files[`linear_${d}.ts`] = `import { DAG, task, chain } from '@updraft/sdk';
    export default new DAG({ dag_id: 'bench_linear_${d}', schedule: null, start_date: '2024-01-01' }, () => {
      const t = ${noop};
      chain(...Array.from({ length: 10 }, (_, i) => t.override({ task_id: 's' + i })()));
    });`;
}
await scenario('many_linear', files, Array.from({ length: MANY_DAGS }, (_, d) => `bench_linear_${d}`), 10);

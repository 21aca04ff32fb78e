/**
 * Sequential compute: a DAG of 10 TaskFlow tasks in a chain, each computing
 * fib(33) the naive recursive way (the workload of the public comparison in
 * which Airflow 2.7 took 54.7 s, Prefect 15.5 s, Temporal 7.2 s, Windmill 8.3 s).
 * Total time from the trigger to the last task's end, and that minus the pure
 * compute: fib(33) x 10 in a plain Node process, measured in the same run.
 *
 *   npm run bench -- sequential      (SEQ_RUNS=5 by default)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchConfig, freshHome, printTable, round, runToSuccess, size, standalone, summary, waitForDag, writeResult } from './lib.ts';

const RUNS = size('SEQ_RUNS', 5, 2);
const TASKS = 10;
const N = 33;
const fibSource = 'function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }';

/** fib(N) `times` times in a fresh plain Node process; ms of compute as that process measures it. */
function pureCompute(times: number): number {
  const code = `${fibSource}
    const t = performance.now();
    for (let i = 0; i < ${times}; i++) fib(${N});
    process.stdout.write(String(performance.now() - t));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pure compute failed: ${r.stderr}`);
  return Number(r.stdout);
}

/** The same compute as each task does it: once per fresh process (no JIT warmed by earlier calls), summed. */
function pureComputeColdProcesses(): number {
  let sum = 0;
  for (let i = 0; i < TASKS; i++) sum += pureCompute(1);
  return sum;
}

const { home, dags, cleanup } = freshHome();
fs.writeFileSync(
  path.join(dags, 'bench_fib.ts'),
  `import { DAG, task, chain } from '@updraft/sdk';
   ${fibSource.replace('function fib(n)', 'function fib(n: number): number')}
   export default new DAG({ dag_id: 'bench_fib', schedule: null, start_date: '2024-01-01' }, () => {
     const compute = task(function fib_${N}() { return fib(${N}); });
     chain(...Array.from({ length: ${TASKS} }, (_, i) => compute.override({ task_id: 'fib_' + i })()));
   });`,
);
const s = await standalone(benchConfig(home));
try {
  const pool = s.db.pool;
  await waitForDag(s, 'bench_fib');
  const pure: number[] = [];
  const pureCold: number[] = [];
  const totals: number[] = [];
  const walls: number[] = [];
  const inTasks: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // interleaved with the runs, so both see the same machine
    pure.push(pureCompute(TASKS));
    pureCold.push(pureComputeColdProcesses());
    const triggered = Date.now();
    const run = await runToSuccess(s, 'bench_fib', `fib_${i}`, 300_000, 10);
    const t = (await pool.query<{ first: Date; last: Date; busy: number }>(
      `SELECT min(start_date) AS first, max(end_date) AS last,
              sum(extract(epoch FROM end_date - start_date) * 1000)::float8 AS busy
         FROM task_instance WHERE dag_id = 'bench_fib' AND run_id = $1`,
      [run.run_id],
    )).rows[0];
    totals.push(t.last.getTime() - triggered);
    walls.push(t.last.getTime() - t.first.getTime());
    inTasks.push(t.busy);
  }
  const pureS = summary(pure);
  const pureColdS = summary(pureCold);
  const total = summary(totals);
  const overhead = summary(totals.map((x, i) => x - pure[i]));
  const wall = summary(walls);
  const busy = summary(inTasks);
  const fmt = (x: { median: number; min: number; max: number }) => `${round(x.median / 1000, 2)} s (${round(x.min / 1000, 2)}–${round(x.max / 1000, 2)})`;
  console.log(`${TASKS} sequential tasks x fib(${N}), ${RUNS} runs: median (min–max)`);
  printTable(['measure', 'seconds'], [
    ['total: trigger to the last task\'s end', fmt(total)],
    ['first task start to last task end', fmt(wall)],
    ['sum of the tasks\' own durations (start to end)', fmt(busy)],
    [`pure compute: fib(${N}) x ${TASKS} in a plain node process`, fmt(pureS)],
    [`pure compute, one fresh process per fib(${N}), summed`, fmt(pureColdS)],
    ['total minus pure compute (overhead)', fmt(overhead)],
  ]);
  console.log('  for scale: Airflow 2.7 54.7 s, Prefect 15.5 s, Temporal 7.2 s, Windmill 8.3 s (public comparison, other hardware)');
  const ms = (x: { median: number; min: number; max: number; n: number }) => ({ median: round(x.median), min: round(x.min), max: round(x.max), n: x.n });
  writeResult('sequential', { tasks: TASKS, fib_n: N, runs: RUNS, total_ms: ms(total), first_start_to_last_end_ms: ms(wall), task_durations_sum_ms: ms(busy), pure_compute_ms: ms(pureS), pure_compute_fresh_processes_ms: ms(pureColdS), overhead_ms: ms(overhead) });
} finally {
  await s.stop({ stopEmbedded: true });
  cleanup();
}

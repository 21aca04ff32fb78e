/**
 * The latest result of every scenario (bench/results/*.json) against issue 8's
 * targets, as a Markdown table for BENCHMARKS.md. `npm run bench` prints it at the end;
 * `node bench/summary.ts` prints it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RESULTS } from './lib.ts';

type R = Record<string, any>;
function read(name: string): R | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(RESULTS, `${name}.json`), 'utf8')) as R;
  } catch {
    return null;
  }
}

const rows: string[][] = [];
/** a row; `met` undefined when the measure has no target */
const row = (measure: string, result: string, target = '', met?: boolean) => rows.push([measure, result, target, met === undefined ? '' : met ? 'met' : '**not met**']);
const spread = (x: R | undefined, unit = '', scale = 1, digits = 0) => (x ? `${(x.median / scale).toFixed(digits)}${unit} (${(x.min / scale).toFixed(digits)}–${(x.max / scale).toFixed(digits)})` : 'n/a');

const h = read('handoff');
if (h) {
  const idle = h.from_idle as R | undefined;
  if (idle) {
    row(`handoff p50, runs from idle (${idle.handoff_ms.samples} handoffs)`, `${idle.handoff_ms.p50} ms`, '≤ 10 ms', idle.handoff_ms.p50 <= 10);
    row('handoff p95, runs from idle', `${idle.handoff_ms.p95} ms (max ${idle.handoff_ms.max})`, '≤ 30 ms', idle.handoff_ms.p95 <= 30);
  }
  row(`handoff p50, runs back to back (${h.handoff_ms.samples} handoffs)`, `${h.handoff_ms.p50} ms`, '≤ 10 ms', h.handoff_ms.p50 <= 10);
  row('handoff p95, runs back to back', `${h.handoff_ms.p95} ms (max ${h.handoff_ms.max})`, '≤ 30 ms', h.handoff_ms.p95 <= 30);
}
const seq = read('sequential');
if (seq) {
  row(`sequential 10 × fib(33): total, median of ${seq.runs} (min–max)`, spread(seq.total_ms, ' s', 1000, 2));
  row('  pure compute (10 × fib(33), one plain node process)', spread(seq.pure_compute_ms, ' s', 1000, 2));
  row('  total minus pure compute', spread(seq.overhead_ms, ' s', 1000, 2));
}
const wide = read('throughput_wide');
if (wide) row(`throughput 1 DAG × ${wide.task_instances} parallel no-op tasks`, `${wide.ti_per_second} TI/s`, '≥ 1,000 TI/s', wide.ti_per_second >= 1000);
const many = read('throughput_many_linear');
if (many) row(`throughput ${many.task_instances / 10} DAGs × 10 linear no-op tasks`, `${many.ti_per_second} TI/s`, '≥ 1,000 TI/s', many.ti_per_second >= 1000);
const sa = read('scheduler_alone');
if (sa) for (const s of sa.shapes as R[]) row(`scheduler alone, ${s.shape} ${s.dags} × ${s.tasks_per_dag}`, `${s.ti_per_second} TI/s`, '≥ 20,000 TI/s', s.ti_per_second >= 20_000);
const p = read('parsing');
if (p) {
  row(`parsing ${p.files} files × 10 tasks`, `${p.all_serialized_seconds} s`, '≤ 10 s', p.all_serialized_seconds <= 10);
  row('changed file picked up', `${p.changed_file_ms} ms`, '≤ 1 s', p.changed_file_ms <= 1000);
}
const f = read('footprint');
if (f) {
  row('cold start to healthy (database created)', `${(f.cold_start_ms / 1000).toFixed(2)} s`);
  row(`warm start to healthy, median of ${f.warm_start_ms.n}`, spread(f.warm_start_ms, ' s', 1000, 2), '≤ 2 s', f.warm_start_ms.median <= 2000);
  if (f.warm_start_first_healthy_answer_ms) row('  first "healthy" answer (previous run\'s heartbeats still count)', spread(f.warm_start_first_healthy_answer_ms, ' s', 1000, 2));
  row(`idle memory after ${f.idle_seconds} s, Updraft processes, RSS`, `${f.updraft_rss_mb} MB (PSS ${f.updraft_pss_mb} MB)`, '≤ 250 MB', f.updraft_rss_mb <= 250);
  row('  PostgreSQL processes, RSS (PSS)', `${f.postgres_rss_mb} MB (${f.postgres_pss_mb} MB)`);
}
const a = read('api');
if (a) {
  row(`API GET /dags?limit=100, ${a.dags} DAGs, ${a.connections} connections: req/s`, spread(a.requests_per_second));
  row('  latency p99', spread(a.latency_p99_ms, ' ms'));
}
const pe = read('peers');
if (pe) {
  for (const [name, r] of Object.entries(pe.updraft_over_peer as Record<string, R>)) {
    row(`Updraft ÷ ${name}: handoff p50 / wide TI/s / linear TI/s`, `${r.handoff_p50}× / ${r.wide_ti_per_second}× / ${r.many_linear_ti_per_second}×`);
  }
  for (const [name, r] of Object.entries(pe.peers as Record<string, R>)) if (r.skipped) row(name, `skipped: ${r.skipped}`);
}

console.log('| measure | result | target | |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

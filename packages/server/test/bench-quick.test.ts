/**
 * Issue 8's rule: CI runs `npm run bench -- --quick` so that the benchmark
 * suite keeps working. This runs it (small sizes, about a minute) with its
 * results in a temporary folder, and checks that every scenario finished and
 * wrote what BENCHMARKS.md and the summary read. No number is compared with a
 * target here: performance is measured by the benchmarks, never asserted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const results = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-bench-quick-'));
after(() => fs.rmSync(results, { recursive: true, force: true }));

function runQuickBench(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench/index.ts'), '--quick'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_RESULTS_DIR: results },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const read = (name: string) => JSON.parse(fs.readFileSync(path.join(results, `${name}.json`), 'utf8')) as Record<string, any>;
const positive = (value: unknown, what: string) => assert.ok(typeof value === 'number' && value > 0, `${what}: ${JSON.stringify(value)}`);

test('npm run bench -- --quick runs every scenario and writes its results', async () => {
  const { code, output } = await runQuickBench();
  assert.equal(code, 0, output.slice(-4000));
  assert.match(output, /\| measure \| result \| target \|/, 'the summary table is printed at the end');

  const handoff = read('handoff');
  for (const series of [handoff, handoff.from_idle]) {
    assert.equal(series.handoff_ms.samples, 5 * 9, 'quick: 5 runs of 9 edges per series');
    positive(series.handoff_ms.p50, 'handoff p50');
    positive(series.run_wall_ms.p50, 'run wall time');
  }
  for (const name of ['throughput_wide', 'throughput_many_linear']) {
    const t = read(name);
    assert.equal(t.not_success, 0, `${name}: every task instance succeeded`);
    positive(t.ti_per_second, name);
  }
  positive(read('sequential').total_ms.median, 'sequential total');
  const shapes = read('scheduler_alone').shapes as { ti_per_second: number }[];
  assert.equal(shapes.length, 2, 'quick: the one-DAG shapes');
  for (const s of shapes) positive(s.ti_per_second, 'scheduler alone');
  const parsing = read('parsing');
  assert.equal(parsing.import_errors, 0);
  positive(parsing.changed_file_ms, 'changed file picked up');
  const footprint = read('footprint');
  positive(footprint.warm_start_ms.median, 'warm start');
  positive(footprint.updraft_rss_mb, 'idle memory');
  const api = read('api');
  assert.equal(api.not_ok, 0, 'every API answer was 2xx');
  positive(api.requests_per_second.median, 'API requests/s');
  assert.ok(Object.keys(read('peers').peers).length >= 2, 'graphile-worker and BullMQ on PostgreSQL ran');
  const ui = read('ui');
  positive(ui.graph_page_load_ms?.median ?? ui.graph_page_load_ms, 'UI graph drawn');
});

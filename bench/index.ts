/**
 * `npm run bench [--quick] [scenario …]`: runs the benchmark scenarios one after the
 * other (all of them by default), each printing its table and writing
 * bench/results/<scenario>.json. `--quick` uses small sizes (CI: checks that the
 * suite works, in about two minutes). See BENCHMARKS.md for the method.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// peers after handoff and throughput: it reports Updraft ÷ peer from their results
const SCENARIOS = ['handoff', 'throughput', 'sequential', 'scheduler-alone', 'parsing', 'footprint', 'api', 'peers', 'ui'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const named = args.filter((a) => a !== '--quick');
const chosen = named.length ? named : SCENARIOS;
for (const name of chosen) {
  if (!SCENARIOS.includes(name)) {
    console.error(`unknown scenario '${name}': choose from ${SCENARIOS.join(', ')}`);
    process.exit(1);
  }
}
let failed = false;
const began = performance.now();
for (const name of chosen) {
  console.log(`\n== ${name}`);
  const t = performance.now();
  // each scenario in its own process: no state or warm caches carried from one to the next
  const r = spawnSync(process.execPath, [path.join(here, `${name}.ts`)], { stdio: 'inherit', env: quick ? { ...process.env, BENCH_QUICK: '1' } : process.env });
  if (r.status !== 0) failed = true;
  console.log(`   (${name}: ${((performance.now() - t) / 1000).toFixed(0)} s${r.status !== 0 ? `, exited with ${r.status ?? r.signal}` : ''})`);
}
console.log(`\nall scenarios: ${((performance.now() - began) / 1000).toFixed(0)} s\n`);
spawnSync(process.execPath, [path.join(here, 'summary.ts')], { stdio: 'inherit' }); // every latest result against the targets
process.exit(failed ? 1 : 0);

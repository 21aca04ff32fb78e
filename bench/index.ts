/**
 * `npm run bench [scenario …]`: runs the benchmark scenarios one after the other
 * (all of them by default), each printing its table and writing
 * bench/results/<scenario>.json. See BENCHMARKS.md for the method.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['handoff', 'throughput', 'scheduler-alone', 'parsing', 'ui'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : SCENARIOS;
for (const name of chosen) {
  if (!SCENARIOS.includes(name)) {
    console.error(`unknown scenario '${name}': choose from ${SCENARIOS.join(', ')}`);
    process.exit(1);
  }
}
let failed = false;
for (const name of chosen) {
  console.log(`\n== ${name}`);
  // each scenario in its own process: no state or warm caches carried from one to the next
  const r = spawnSync(process.execPath, [path.join(here, `${name}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);

/**
 * API: GET /api/v2/dags?limit=100 with API_DAGS (1,000) DAGs loaded, against a
 * standalone in its own process (`updraft standalone`), from autocannon in this
 * process over loopback with a bearer token: requests per second and latency
 * percentiles, API_ROUNDS rounds of API_SECONDS after a warm-up.
 *
 *   npm run bench -- api      (API_CONNECTIONS=10 by default)
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freshHome, generatedDagSource, printTable, round, size, summary, waitUntil, writeResult } from './lib.ts';
import { getJson, spawnStandalone } from './process.ts';

// autocannon ships no types; what we use of it
interface Histogram { average: number; p50: number; p90: number; p99: number; max: number; total: number }
interface AutocannonResult { requests: Histogram; latency: Histogram; duration: number; errors: number; timeouts: number; non2xx: number; '2xx': number }
type Autocannon = (opts: { url: string; connections: number; duration: number; headers: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const DAGS = size('API_DAGS', 1000, 100);
const ROUNDS = size('API_ROUNDS', 3, 1);
const SECONDS = size('API_SECONDS', 10, 3);
const CONNECTIONS = size('API_CONNECTIONS', 10, 10);

const { home, dags, cleanup } = freshHome();
for (let i = 0; i < DAGS; i++) fs.writeFileSync(path.join(dags, `gen_${i}.ts`), generatedDagSource(i, 'v1'));
const server = await spawnStandalone(home, { UPDRAFT__CORE__LOAD_EXAMPLES: 'false', ...(process.env.API_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.API_SERVER_NODE_OPTIONS } : {}) });
try {
  const authorization = `Bearer ${await server.token()}`;
  const target = `${server.url}/api/v2/dags?limit=100`;
  await waitUntil(async () => (await getJson(`${server.url}/api/v2/dags?limit=1`, { authorization })).body?.total_entries === DAGS, 600_000, `all ${DAGS} DAGs to be parsed`, 500);
  const sample = await fetch(target, { headers: { authorization } });
  const bytes = (await sample.arrayBuffer()).byteLength;
  await autocannon({ url: target, connections: CONNECTIONS, duration: 2, headers: { authorization } }); // warm-up
  const rps: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  let bad = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const res = await autocannon({ url: target, connections: CONNECTIONS, duration: SECONDS, headers: { authorization } });
    bad += res.non2xx + res.errors + res.timeouts;
    rps.push(res.requests.total / res.duration);
    p50.push(res.latency.p50);
    p99.push(res.latency.p99);
  }
  const fmt = (x: ReturnType<typeof summary>, digits = 0) => `${round(x.median, digits)} (${round(x.min, digits)}–${round(x.max, digits)})`;
  console.log(`GET /api/v2/dags?limit=100 (${round(bytes / 1024)} KiB), ${DAGS} DAGs, ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS} s: median (min–max)`);
  printTable(['measure', 'result'], [
    ['requests per second', fmt(summary(rps))],
    ['latency p50, ms', fmt(summary(p50), 1)],
    ['latency p99, ms', fmt(summary(p99), 1)],
    ['non-2xx answers, errors, timeouts', bad],
  ]);
  const out = (x: ReturnType<typeof summary>) => ({ median: round(x.median), min: round(x.min), max: round(x.max), n: x.n });
  writeResult('api', { dags: DAGS, path: '/api/v2/dags?limit=100', response_bytes: bytes, connections: CONNECTIONS, rounds: ROUNDS, seconds_per_round: SECONDS, requests_per_second: out(summary(rps)), latency_p50_ms: out(summary(p50)), latency_p99_ms: out(summary(p99)), not_ok: bad });
  if (bad > 0) process.exitCode = 1;
} finally {
  await server.stop();
  cleanup();
}

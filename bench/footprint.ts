/**
 * Footprint of a standalone started the way users start it
 * (`updraft standalone --port P` with $UPDRAFT_HOME), default settings:
 *  - cold start: a fresh $UPDRAFT_HOME (the embedded database is created) until
 *    /api/v2/monitor/health reports the database healthy and scheduler and DAG processor
 *    heartbeats written by this process. The first "healthy" answer is reported too: it comes
 *    earlier only when the previous process did not end its jobs (killed rather than stopped:
 *    its heartbeats count until they are a minute old, as in Airflow), so how many stops
 *    were clean is reported too;
 *  - warm start: the same home again, after a SIGTERM stop (WARM_RUNS times);
 *  - idle memory IDLE_SECONDS (60) after the last warm start: RSS (and PSS) of the
 *    standalone's process tree, and of the embedded PostgreSQL's processes separately.
 *
 *   npm run bench -- footprint
 */
import fs from 'node:fs';
import { freshHome, printTable, round, size, summary, waitUntil, writeResult } from './lib.ts';
import { memoryOf, postmasterPid, processTree, spawnStandalone } from './process.ts';

const WARM_RUNS = size('WARM_RUNS', 3, 1);
const IDLE_SECONDS = size('IDLE_SECONDS', 60, 5);

const { home, cleanup } = freshHome();
let current: Awaited<ReturnType<typeof spawnStandalone>> | null = null;
/** stops after which the process had run its shutdown (exit code 0), not died of the signal itself */
let cleanStops = 0;
const stop = async (s: NonNullable<typeof current>) => {
  const ms = await s.stop();
  if (s.child.exitCode === 0) cleanStops++;
  return ms;
};
try {
  current = await spawnStandalone(home);
  const cold = current.healthyAfterMs;
  const stops = [await stop(current)];
  current = null;
  const warm: number[] = [];
  const warmAnswer: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    current = await spawnStandalone(home);
    warm.push(current.healthyAfterMs);
    warmAnswer.push(current.firstHealthyAnswerMs);
    if (i < WARM_RUNS - 1) {
      stops.push(await stop(current));
      current = null;
    }
  }
  const running = current as NonNullable<typeof current>;
  console.log(`started: cold ${round(cold)} ms, warm ${warm.map((w) => round(w)).join(' / ')} ms; idling ${IDLE_SECONDS} s…`);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const postmaster = postmasterPid(home);
  const postgresPids = postmaster ? processTree(postmaster) : [];
  const postgres = memoryOf(postgresPids);
  // PostgreSQL is the standalone's child when this process started it, but not when it took over
  // a server a killed predecessor left running: counted apart either way
  const updraft = memoryOf(processTree(running.child.pid as number).filter((pid) => !postgresPids.includes(pid)));
  stops.push(await stop(running));
  current = null;
  // the standalone stops the PostgreSQL it started; a leftover server would hold memory after "stop"
  const postgresStopped = await waitUntil(async () => !postmaster || !fs.existsSync(`/proc/${postmaster}`), 10_000, 'PostgreSQL to stop', 50).then(() => true, () => false);

  const sum = (list: typeof updraft, key: 'rss_mb' | 'pss_mb') => round(list.reduce((a, p) => a + (p[key] ?? 0), 0));
  const warmS = summary(warm);
  const warmAnswerS = summary(warmAnswer);
  const stopS = summary(stops);
  printTable(['measure', 'result', 'target'], [
    ['cold start to healthy (database created)', `${round(cold / 1000, 2)} s`, ''],
    [`warm start to healthy, median of ${WARM_RUNS} (min–max)`, `${round(warmS.median / 1000, 2)} s (${round(warmS.min / 1000, 2)}–${round(warmS.max / 1000, 2)})`, '<= 2 s'],
    ['  first "healthy" answer (earlier if a killed process\'s heartbeats still count)', `${round(warmAnswerS.median / 1000, 2)} s`, ''],
    ['stop after SIGTERM until the process exited, median', `${round(stopS.median / 1000, 2)} s${postgresStopped ? '' : ' (PostgreSQL still running!)'}`, ''],
    ['  stops that shut down cleanly (exit 0; else killed by the signal: jobs not ended)', `${cleanStops} of ${stops.length}`, ''],
    [`idle memory after ${IDLE_SECONDS} s: Updraft processes (${updraft.length}) RSS`, `${sum(updraft, 'rss_mb')} MB`, '<= 250 MB'],
    ['  the same, PSS (shared pages divided among sharers)', `${sum(updraft, 'pss_mb')} MB`, ''],
    [`  PostgreSQL processes (${postgres.length}) RSS / PSS`, `${sum(postgres, 'rss_mb')} / ${sum(postgres, 'pss_mb')} MB`, ''],
  ]);
  for (const p of updraft) console.log(`    ${String(p.pid).padStart(7)}  ${round(p.rss_mb).toFixed(1).padStart(6)} MB RSS  ${round(p.pss_mb ?? 0).toFixed(1).padStart(6)} MB PSS  ${p.command}`);
  const ms = (x: ReturnType<typeof summary>) => ({ median: round(x.median), min: round(x.min), max: round(x.max), n: x.n });
  writeResult('footprint', {
    cold_start_ms: round(cold),
    warm_start_ms: ms(warmS),
    warm_start_first_healthy_answer_ms: ms(warmAnswerS),
    stop_ms: ms(stopS),
    clean_stops: cleanStops,
    stops: stops.length,
    idle_seconds: IDLE_SECONDS,
    updraft_rss_mb: sum(updraft, 'rss_mb'),
    updraft_pss_mb: sum(updraft, 'pss_mb'),
    postgres_rss_mb: sum(postgres, 'rss_mb'),
    postgres_pss_mb: sum(postgres, 'pss_mb'),
    updraft_processes: updraft.map((p) => ({ command: p.command, rss_mb: round(p.rss_mb), pss_mb: p.pss_mb === null ? null : round(p.pss_mb) })),
    postgres_processes: postgres.length,
    postgres_stopped_with_standalone: postgresStopped,
    targets: { warm_start_ms: 2000, idle_rss_mb: 250 },
  });
} finally {
  await current?.stop();
  cleanup();
}

/**
 * Footprint of a standalone started the way users start it
 * (`updraft standalone --port P` with $UPDRAFT_HOME), default settings:
 *  - cold start: a fresh $UPDRAFT_HOME (the embedded database is created) until
 *    /api/v2/monitor/health reports the database healthy and scheduler and DAG processor
 *    heartbeats written by this process (a restarted standalone's health answer counts the
 *    previous process's heartbeats for a minute; that earlier "healthy" is reported too);
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
try {
  current = await spawnStandalone(home);
  const cold = current.healthyAfterMs;
  const stops = [await current.stop()];
  current = null;
  const warm: number[] = [];
  const warmAnswer: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    current = await spawnStandalone(home);
    warm.push(current.healthyAfterMs);
    warmAnswer.push(current.firstHealthyAnswerMs);
    if (i < WARM_RUNS - 1) {
      stops.push(await current.stop());
      current = null;
    }
  }
  const running = current as NonNullable<typeof current>;
  console.log(`started: cold ${round(cold)} ms, warm ${warm.map((w) => round(w)).join(' / ')} ms; idling ${IDLE_SECONDS} s…`);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const updraft = memoryOf(processTree(running.child.pid as number));
  const postmaster = postmasterPid(home);
  const postgres = postmaster ? memoryOf(processTree(postmaster)) : [];
  stops.push(await running.stop());
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
    ['  first "healthy" answer (the previous run\'s heartbeats still count)', `${round(warmAnswerS.median / 1000, 2)} s`, ''],
    ['stop after SIGTERM until the process exited, median', `${round(stopS.median / 1000, 2)} s${postgresStopped ? '' : ' (PostgreSQL still running!)'}`, ''],
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

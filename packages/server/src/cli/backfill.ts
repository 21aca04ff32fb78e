/**
 * `updraft backfill create | list | pause | unpause | cancel`. The backfill is
 * stored and run by the scheduler: `create` only follows it with a progress
 * bar, and leaving (Ctrl-C, or a killed terminal) stops nothing. Works on the
 * local installation or, with --api-url, through the REST API.
 */
import { Option, type Command } from 'commander';
import type { Config } from '../config/config.ts';
import { backfillProgress, getBackfill, listBackfills, REPROCESS_BEHAVIORS, type BackfillProgress, type BackfillRow, type ReprocessBehavior } from '../db/sql/backfills.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { latestHeartbeat } from '../db/sql/jobs.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { backfillResponse } from '../api/public/backfills.ts';
import {
  BackfillConflictError,
  cancelBackfill,
  createBackfill,
  dryRunBackfill,
  InvalidBackfillError,
  parseBackfillDate,
  setPausedBackfill,
  type BackfillRequest,
} from '../scheduler/backfill.ts';
import { BadRequestError, NotFoundError } from '../scheduler/runs.ts';
import { type ApiClient, remoteApi } from './api-client.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';

type BackfillView = ReturnType<typeof backfillResponse>;
const COLUMNS = ['id', 'dag_id', 'from_date', 'to_date', 'reprocess_behavior', 'max_active_runs', 'is_paused', 'created_at', 'completed_at'];
const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml', 'plain']).default('table');
const POLL_MS = 500;

function cliError(err: unknown): unknown {
  if (err instanceof NotFoundError || err instanceof InvalidBackfillError || err instanceof BackfillConflictError || err instanceof BadRequestError) return new CliError(err.message);
  return err;
}

function parseDate(text: string, flag: string): Date {
  const d = parseBackfillDate(text);
  if (!d) throw new CliError(`${flag} is not a date: '${text}' (use 2024-01-31 or 2024-01-31T06:00:00+00:00)`);
  return d;
}

function parseId(text: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`backfill id must be a number, not '${text}'`);
  return Number(text);
}

interface CreateOptions {
  dagId: string;
  fromDate: string;
  toDate: string;
  reprocessBehavior: ReprocessBehavior;
  maxActiveRuns?: string;
  runBackwards?: boolean;
  dryRun?: boolean;
  conf?: string;
  dagRunConf?: string;
  wait: boolean;
  output: OutputFormat;
}

function parseRequest(o: CreateOptions): BackfillRequest {
  let conf: unknown = {};
  const confText = o.conf ?? o.dagRunConf;
  if (confText !== undefined) {
    try {
      conf = JSON.parse(confText);
    } catch (err) {
      throw new CliError(`--conf is not valid JSON: ${(err as Error).message}`);
    }
    if (!conf || typeof conf !== 'object' || Array.isArray(conf)) throw new CliError('--conf must be a JSON object, for example {"key": "value"}');
  }
  let maxActiveRuns: number | null = null;
  if (o.maxActiveRuns !== undefined) {
    maxActiveRuns = Number(o.maxActiveRuns);
    if (!/^\d+$/.test(o.maxActiveRuns) || maxActiveRuns < 1) throw new CliError(`--max-active-runs must be a positive integer, not '${o.maxActiveRuns}'`);
  }
  return {
    dag_id: o.dagId,
    from_date: parseDate(o.fromDate, '--from-date'),
    to_date: parseDate(o.toDate, '--to-date'),
    reprocess_behavior: o.reprocessBehavior,
    max_active_runs: maxActiveRuns,
    run_backwards: !!o.runBackwards,
    dag_run_conf: conf,
    triggering_user_name: cliUser(),
  };
}

/** The request as BackfillPostBody. */
function postBody(r: BackfillRequest) {
  return {
    dag_id: r.dag_id,
    from_date: r.from_date.toISOString(),
    to_date: r.to_date.toISOString(),
    reprocess_behavior: r.reprocess_behavior,
    run_backwards: r.run_backwards,
    dag_run_conf: r.dag_run_conf,
    ...(r.max_active_runs ? { max_active_runs: r.max_active_runs } : {}),
  };
}

/** Where `create` reads the backfill and its progress from while it waits. */
type ProgressSource = () => Promise<{ backfill: BackfillView; progress: BackfillProgress }>;

function localSource(db: Queryable, id: number): ProgressSource {
  return async () => {
    const b = (await getBackfill(db, id)) as BackfillRow;
    return { backfill: backfillResponse(b), progress: await backfillProgress(db, id) };
  };
}

function remoteSource(api: ApiClient, id: number): ProgressSource {
  return () => api.get(`/ui/backfills/${id}/progress`);
}

export function progressLine(p: BackfillProgress, width = 30): string {
  const filled = p.total ? Math.round((p.done / p.total) * width) : width;
  const details = [
    p.running && `${p.running} running`,
    p.failed && `${p.failed} failed`,
    p.skipped && `${p.skipped} skipped (existing runs kept)`,
    p.cancelled && `${p.cancelled} cancelled`,
  ].filter(Boolean);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} runs done${details.length ? `, ${details.join(', ')}` : ''}`;
}

/**
 * Shows the progress until the backfill completes. Ctrl-C leaves the view
 * only: the scheduler keeps running the backfill.
 */
async function follow(id: number, source: ProgressSource, output: OutputFormat): Promise<{ backfill: BackfillView; progress: BackfillProgress }> {
  const tty = process.stderr.isTTY && output === 'table';
  const onInterrupt = () => {
    process.stderr.write(`\nStopped watching. Backfill ${id} continues in the scheduler: \`updraft backfill list\` shows it, \`updraft backfill pause ${id}\` or \`updraft backfill cancel ${id}\` stops it.\n`);
    process.exit(0);
  };
  process.once('SIGINT', onInterrupt);
  let shown = '';
  let first = true;
  try {
    for (;;) {
      const state = await source();
      if (first && output === 'table') {
        const { backfill: b, progress: p } = state;
        process.stderr.write(
          `Backfill ${b.id} of ${b.dag_id}, ${b.from_date} to ${b.to_date}: ${p.total} run(s), at most ${b.max_active_runs} at once${p.skipped ? `; ${p.skipped} date(s) keep their existing run` : ''}. The scheduler runs it: Ctrl-C only stops watching.\n`,
        );
        first = false;
      }
      const line = progressLine(state.progress);
      if (line !== shown && output === 'table') {
        process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
        shown = line;
      }
      if (state.backfill.completed_at) {
        if (tty) process.stderr.write('\n');
        return state;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

function printResult(state: { backfill: BackfillView; progress: BackfillProgress }, output: OutputFormat) {
  if (output === 'table') {
    printRows([state.backfill], output, COLUMNS);
    const p = state.progress;
    process.stdout.write(`Backfill ${state.backfill.id}: ${p.success} succeeded, ${p.failed} failed, ${p.skipped} skipped, ${p.cancelled} cancelled, ${p.total - p.done} not finished\n`);
  } else {
    printRows([{ ...state.backfill, progress: state.progress }], output);
  }
  if (state.progress.failed > 0) process.exitCode = 1;
}

function printDryRun(dates: string[], output: OutputFormat) {
  printRows(dates.map((logical_date) => ({ logical_date })), output, ['logical_date']);
  if (output === 'table') process.stdout.write(`Dry run: ${dates.length} run(s) would be created; nothing was stored.\n`);
}

async function createCommand(config: () => Config, o: CreateOptions) {
  const request = parseRequest(o);
  const api = remoteApi();
  if (api) {
    if (o.dryRun) {
      const r = await api.post<{ backfills: { logical_date: string }[] }>('/api/v2/backfills/dry_run', postBody(request));
      printDryRun(r.backfills.map((b) => b.logical_date), o.output);
      return;
    }
    const b = await api.post<BackfillView>('/api/v2/backfills', postBody(request));
    const source = remoteSource(api, b.id);
    printResult(o.wait ? await follow(b.id, source, o.output) : await source(), o.output);
    return;
  }
  await withDb(config(), async (d) => {
    try {
      if (o.dryRun) {
        printDryRun((await dryRunBackfill(d.pool, request)).map((x) => x.toISOString()), o.output);
        return;
      }
      const b = await createBackfill(d.pool, request);
      await logEvent(d.pool, { event: 'cli_backfill_create', owner: cliUser(), dag_id: b.dag_id, extra: { backfill_id: b.id, ...postBody(request) } });
      const source = localSource(d.pool, b.id);
      const heartbeat = await latestHeartbeat(d.pool, 'SchedulerJob');
      if (o.wait && (!heartbeat || Date.now() - heartbeat.getTime() > 60_000)) {
        process.stderr.write(`No scheduler is running: backfill ${b.id} is stored and starts when one runs (\`updraft scheduler\` or \`updraft standalone\`).\n`);
        printResult(await source(), o.output);
        return;
      }
      printResult(o.wait ? await follow(b.id, source, o.output) : await source(), o.output);
    } catch (err) {
      throw cliError(err);
    }
  });
}

export function registerBackfillCommands(program: Command, config: () => Config) {
  const backfill = program.command('backfill').description('Run a DAG over past dates (stored and run by the scheduler)');

  backfill
    .command('create')
    .description('Create a backfill and follow its progress (Ctrl-C leaves; the backfill continues)')
    .requiredOption('--dag-id <dag_id>', 'the DAG to backfill')
    .requiredOption('--from-date <date>', 'earliest logical date (inclusive)')
    .requiredOption('--to-date <date>', 'latest logical date (inclusive)')
    .addOption(new Option('--reprocess-behavior <behavior>', 'dates that already have a run: none keeps them, failed re-runs failed ones, completed re-runs finished ones').choices([...REPROCESS_BEHAVIORS]).default('none'))
    .option('--max-active-runs <n>', "runs of this backfill at once (default: the DAG's max_active_runs)")
    .option('--run-backwards', 'newest date first (refused for DAGs with depends_on_past)')
    .option('--dry-run', 'list the logical dates that would be run, store nothing')
    .option('-c, --conf <json>', 'JSON object passed to every run as dag_run.conf')
    .option('--dag-run-conf <json>', "same as --conf (Airflow's name for it)")
    .option('--no-wait', 'return once the backfill is stored, without following it')
    .addOption(outputOption())
    .action((o: CreateOptions) => createCommand(config, o));

  backfill
    .command('list')
    .description('List backfills, newest last')
    .option('--dag-id <dag_id>', 'only the backfills of this DAG')
    .addOption(outputOption())
    .action(async (o: { dagId?: string; output: OutputFormat }) => {
      const api = remoteApi();
      const rows: BackfillView[] = api
        ? (await api.get<{ backfills: BackfillView[] }>(`/api/v2/backfills?limit=10000${o.dagId ? `&dag_id=${encodeURIComponent(o.dagId)}` : ''}`)).backfills
        : await withDb(config(), async (d) => (await listBackfills(d.pool, { dag_id: o.dagId ?? null, limit: 10_000, offset: 0, orderBy: 'id' })).rows.map(backfillResponse));
      printRows(rows, o.output, COLUMNS);
    });

  for (const action of ['pause', 'unpause', 'cancel'] as const) {
    backfill
      .command(`${action} <backfill_id>`)
      .description(
        action === 'pause' ? 'Pause a backfill: no new run starts, running ones finish' : action === 'unpause' ? 'Let a paused backfill start runs again' : 'Cancel a backfill for good: runs not started are dropped, running ones finish',
      )
      .addOption(outputOption())
      .action(async (idText: string, o: { output: OutputFormat }) => {
        const id = parseId(idText);
        const api = remoteApi();
        const row: BackfillView = api
          ? await api.request<BackfillView>('PUT', `/api/v2/backfills/${id}/${action}`, {})
          : await withDb(config(), async (d) => {
              try {
                const b = action === 'cancel' ? await cancelBackfill(d.pool, id) : await setPausedBackfill(d.pool, id, action === 'pause');
                await logEvent(d.pool, { event: `cli_backfill_${action}`, owner: cliUser(), dag_id: b.dag_id, extra: { backfill_id: id } });
                return backfillResponse(b);
              } catch (err) {
                throw cliError(err);
              }
            });
        printRows([row], o.output, COLUMNS);
      });
  }
}

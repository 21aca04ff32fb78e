/** The `updraft` command: Airflow's sub-commands, same names and arguments. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { DatabaseError } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { getDag, setPaused, type DagRow } from '../db/sql/dags.ts';
import type { DagRunRow } from '../db/sql/dag-runs.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { logRelativePath } from '../executors/workload.ts';
import { BadRequestError, NotFoundError, triggerDagRun } from '../scheduler/runs.ts';
import { startComponents, type ComponentSelection } from '../components/standalone.ts';
import { VERSION } from '../version.ts';
import { testDag } from './dags-test.ts';
import { registerConnectionCommands } from './connections.ts';
import { registerRotateFernetKey } from './secrets.ts';
import { registerTasksClear } from './tasks-clear.ts';
import { registerTasksState } from './tasks-state.ts';
import { registerRunOperations } from './run-operations.ts';
import { registerUserCommands } from './users.ts';
import { registerRoleCommands } from './roles.ts';
import { registerAuthCommands } from './auth.ts';
import { registerPoolCommands } from './pools.ts';
import { registerBackfillCommands } from './backfill.ts';
import { remoteApi, seg, setApiUrl } from './api-client.ts';
import { remoteRunId } from './tasks-state.ts';
import { deleteDag, runningMessage } from '../api/public/dag-deletion.ts';
import { XComObjectStorage } from '../xcom/object-storage.ts';
import { registerVariableCommands } from './variables.ts';
import { ensureFernetKey } from '../security/fernet-key-file.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { withDb } from './with-db.ts';
import { openDatabase } from '../db/database.ts';
import { RunConflictError } from '../db/sql/dag-runs.ts';
import { getDagVersion } from '../db/sql/dags.ts';

const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml', 'plain']).default('table');

function config(): Config {
  return loadConfig();
}

function parseConf(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`--conf is not valid JSON: ${(err as Error).message}`);
  }
}

async function serve(which: ComponentSelection, port?: string) {
  let cfg = config();
  for (const w of cfg.warnings) process.stderr.write(`warning: ${w}\n`);
  if (port !== undefined) {
    if (!/^\d+$/.test(port)) throw new CliError(`--port must be a number, got '${port}'`);
    cfg = cfg.with({ 'api.port': Number(port) });
  }
  // A stop asked for while starting (a supervisor's SIGTERM right after the health
  // check passes) waits for the start to finish, then stops cleanly: ending the
  // jobs (so health stops reporting them) and the embedded PostgreSQL.
  let signalledEarly: string | null = null;
  const remember = (signal: string) => {
    signalledEarly ??= signal;
  };
  process.on('SIGINT', remember);
  process.on('SIGTERM', remember);
  const running = await startComponents(cfg, which, (line) => process.stdout.write(`${line}\n`));
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal} received: stopping (running tasks get ${cfg.float('core', 'killed_task_cleanup_time')} s to finish)…\n`);
    await running.stop();
    process.exit(0);
  };
  // the new handlers go on before the old ones come off: a signal with no listener
  // at all, even for an instant, gets its default action and kills the process
  // mid-way (seen when a supervisor's SIGTERM followed the first healthy answer)
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.removeListener('SIGINT', remember);
  process.removeListener('SIGTERM', remember);
  if (running.app) process.stdout.write(`Updraft ${VERSION} is running at ${running.url} (UPDRAFT_HOME=${cfg.home})\n`);
  if (signalledEarly) void shutdown(signalledEarly);
  await new Promise(() => undefined);
}

function dagRow(d: DagRow) {
  return { dag_id: d.dag_id, fileloc: d.relative_fileloc, owners: d.owners.join(','), is_paused: d.is_paused, schedule: d.timetable_summary ?? 'None', next_dagrun: d.next_dagrun?.toISOString() ?? null, tags: d.tags.join(',') };
}

function runRow(r: DagRunRow) {
  return { dag_id: r.dag_id, run_id: r.run_id, state: r.state, run_type: r.run_type, logical_date: r.logical_date?.toISOString() ?? null, start_date: r.start_date?.toISOString() ?? null, end_date: r.end_date?.toISOString() ?? null, conf: r.conf };
}

/** The same rows from the REST API's shapes, so local and remote output match. */
type ApiDag = { dag_id: string; relative_fileloc: string; owners: string[]; is_paused: boolean; timetable_summary: string | null; next_dagrun_logical_date: string | null; tags: { name: string }[] };
type ApiRun = { dag_id: string; dag_run_id: string; state: string; run_type: string; logical_date: string | null; start_date: string | null; end_date: string | null; conf: unknown };
const apiDagRow = (d: ApiDag) => ({ dag_id: d.dag_id, fileloc: d.relative_fileloc, owners: d.owners.join(','), is_paused: d.is_paused, schedule: d.timetable_summary ?? 'None', next_dagrun: d.next_dagrun_logical_date, tags: d.tags.map((t) => t.name).join(',') });
const apiRunRow = (r: ApiRun) => ({ dag_id: r.dag_id, run_id: r.dag_run_id, state: r.state, run_type: r.run_type, logical_date: r.logical_date, start_date: r.start_date, end_date: r.end_date, conf: r.conf });

export function buildCli(): Command {
  const program = new Command('updraft').description('Updraft: Airflow-style workflow orchestration in TypeScript').version(VERSION, '--version');
  program.showHelpAfterError('(run with --help for usage)');
  program.option('--api-url <url>', 'work against this api-server through its REST API (default UPDRAFT_API_URL; none: the local installation)');
  program.hook('preAction', (_program, action) => setApiUrl(action.optsWithGlobals().apiUrl as string | undefined));

  program.command('version').description('Show the version').action(() => {
    process.stdout.write(`${VERSION}\n`);
  });

  program
    .command('standalone')
    .description('Run everything (embedded database, api-server, scheduler, DAG processor, triggerer) in one process')
    .option('-p, --port <port>', 'port of the api-server (default [api] port)')
    .action((o) => serve({ apiServer: true, scheduler: true, dagProcessor: true, triggerer: true, lockHome: true, createAdmin: true }, o.port));
  program.command('scheduler').description('Run a scheduler with the local executor').action(() => serve({ scheduler: true }));
  program.command('dag-processor').description('Run the DAG processor').action(() => serve({ dagProcessor: true }));
  program.command('triggerer').description('Run a triggerer: the triggers of deferred tasks').action(() => serve({ triggerer: true }));
  program
    .command('api-server')
    .description('Run the api-server (REST API, Execution API)')
    .option('-p, --port <port>', 'port (default [api] port)')
    .action((o) => serve({ apiServer: true }, o.port));

  const db = program.command('db').description('Database operations');
  db.command('migrate')
    .description('Apply the missing schema migrations')
    .action(async () => {
      const cfg = ensureFernetKey(config(), (file) => process.stdout.write(`Generated [core] fernet_key in ${file}\n`));
      const database = await openDatabase(cfg);
      try {
        const applied = await migrate(database.pool, { defaultPoolSlots: cfg.int('core', 'default_pool_task_slot_count') });
        process.stdout.write(applied.length ? `Applied ${applied.map((m) => `${m.version}_${m.name}`).join(', ')}\n` : 'Database is up to date\n');
      } finally {
        await database.close();
      }
    });
  db.command('check').description('Check the database can be reached').action(async () => {
    await withDb(config(), async (d) => {
      await d.pool.query('SELECT 1');
      process.stdout.write('Connection successful.\n');
    });
  });

  const dags = program.command('dags').description('Manage DAGs');
  dags
    .command('list')
    .description('List the DAGs')
    .addOption(outputOption())
    .option('--include-inactive', 'also list DAGs whose file is gone')
    .action(async (o) => {
      const api = remoteApi();
      if (api) {
        const { dags: rows } = await api.get<{ dags: ApiDag[] }>(`/api/v2/dags?limit=10000${o.includeInactive ? '&exclude_stale=false' : ''}`);
        printRows(rows.map(apiDagRow), o.output as OutputFormat);
        return;
      }
      await withDb(config(), async (d) => {
        const rows = await d.pool.query<DagRow>(`SELECT * FROM dag ${o.includeInactive ? '' : 'WHERE is_active'} ORDER BY dag_id`);
        printRows(rows.rows.map(dagRow), o.output as OutputFormat);
        if (rows.rows.length === 0 && o.output === 'table') {
          process.stderr.write('No DAG has been parsed into this database yet: start `updraft standalone` (or `updraft dag-processor`), then look again.\n');
        }
      });
    });
  dags
    .command('list-import-errors')
    .description('List the DAG files that failed to import')
    .addOption(outputOption())
    .action(async (o) => {
      const api = remoteApi();
      if (api) {
        const { import_errors: rows } = await api.get<{ import_errors: { filename: string; stack_trace: string }[] }>('/api/v2/importErrors?limit=10000');
        printRows(rows.map((r) => ({ filepath: r.filename, error: o.output === 'table' ? r.stack_trace.split('\n')[0] : r.stack_trace })), o.output as OutputFormat, ['filepath', 'error']);
        return;
      }
      await withDb(config(), async (d) => {
        const rows = await d.pool.query<{ filename: string; message: string; stacktrace: string }>('SELECT filename, message, stacktrace FROM import_error ORDER BY filename');
        printRows(rows.rows.map((r) => ({ filepath: r.filename, error: o.output === 'table' ? r.message.split('\n')[0] : r.stacktrace })), o.output as OutputFormat, ['filepath', 'error']);
      });
    });
  dags
    .command('trigger <dag_id>')
    .description('Trigger a new DAG run')
    .option('-c, --conf <json>', 'JSON object passed to the run as dag_run.conf')
    .option('-r, --run-id <run_id>', 'run id (default manual__<logical date>)')
    .option('-l, --logical-date <date>', 'logical date (default now)')
    .addOption(outputOption())
    .action(async (dagId: string, o) => {
      const conf = parseConf(o.conf);
      let logical: Date | undefined;
      if (o.logicalDate) {
        logical = new Date(o.logicalDate);
        if (Number.isNaN(logical.getTime())) throw new CliError(`--logical-date is not a date: ${o.logicalDate}`);
      }
      const api = remoteApi();
      if (api) {
        // Airflow's CLI triggers with the current time as logical date unless given
        const run = await api.post<ApiRun>(`/api/v2/dags/${seg(dagId)}/dagRuns`, { dag_run_id: o.runId ?? null, logical_date: (logical ?? new Date()).toISOString(), conf: conf ?? {} });
        printRows([apiRunRow(run)], o.output as OutputFormat, ['dag_id', 'run_id', 'state', 'logical_date', 'conf']);
        return;
      }
      await withDb(config(), async (d) => {
        try {
          const run = await triggerDagRun(d.pool, { dag_id: dagId, run_id: o.runId, logical_date: logical, conf, triggered_by: 'cli' });
          await logEvent(d.pool, { event: 'cli_trigger', owner: process.env.USER ?? null, dag_id: dagId, run_id: run.run_id, extra: conf });
          printRows([runRow(run)], o.output as OutputFormat, ['dag_id', 'run_id', 'state', 'logical_date', 'conf']);
          const dag = await getDag(d.pool, dagId);
          if (dag?.is_paused && o.output === 'table') process.stderr.write(`Note: ${dagId} is paused; its schedule is off, but runs you trigger still run.\n`);
        } catch (err) {
          if (err instanceof NotFoundError || err instanceof BadRequestError || err instanceof RunConflictError) throw new CliError(err.message);
          throw err;
        }
      });
    });
  for (const [name, paused] of [['pause', true], ['unpause', false]] as const) {
    dags
      .command(`${name} <dag_id>`)
      .description(`${paused ? 'Pause' : 'Unpause'} a DAG`)
      .action(async (dagId: string) => {
        const api = remoteApi();
        if (api) {
          await api.patch(`/api/v2/dags/${seg(dagId)}`, { is_paused: paused });
          process.stdout.write(`Dag: ${dagId}, paused: ${paused}\n`);
          return;
        }
        await withDb(config(), async (d) => {
          const row = await setPaused(d.pool, dagId, paused);
          if (!row) throw new CliError(`DAG '${dagId}' not found`);
          await logEvent(d.pool, { event: paused ? 'cli_pause' : 'cli_unpause', owner: process.env.USER ?? null, dag_id: dagId });
          process.stdout.write(`Dag: ${dagId}, paused: ${paused}\n`);
        });
      });
  }
  dags
    .command('list-runs <dag_id>')
    .description('List the runs of a DAG, newest first')
    .option('--state <state>', 'only runs in this state')
    .addOption(outputOption())
    .action(async (dagId: string, o) => {
      const api = remoteApi();
      if (api) {
        const { dag_runs: rows } = await api.get<{ dag_runs: ApiRun[] }>(`/api/v2/dags/${seg(dagId)}/dagRuns?limit=10000&order_by=-run_after${o.state ? `&state=${seg(o.state)}` : ''}`);
        printRows(rows.map(apiRunRow), o.output as OutputFormat, ['dag_id', 'run_id', 'state', 'run_type', 'logical_date', 'start_date', 'end_date']);
        return;
      }
      await withDb(config(), async (d) => {
        if (!(await getDag(d.pool, dagId))) throw new CliError(`DAG '${dagId}' not found`);
        const rows = await d.pool.query<DagRunRow>(`SELECT * FROM dag_run WHERE dag_id = $1 ${o.state ? 'AND state = $2' : ''} ORDER BY run_after DESC, id DESC`, o.state ? [dagId, o.state] : [dagId]);
        printRows(rows.rows.map(runRow), o.output as OutputFormat, ['dag_id', 'run_id', 'state', 'run_type', 'logical_date', 'start_date', 'end_date']);
      });
    });
  dags
    .command('state <dag_id> <run_id_or_logical_date>')
    .description('Print the state of a DAG run')
    .action(async (dagId: string, key: string) => {
      const api = remoteApi();
      if (api) {
        const run = await api.get<ApiRun>(`/api/v2/dags/${seg(dagId)}/dagRuns/${seg(await remoteRunId(api, dagId, key))}`);
        process.stdout.write(`${run.state}\n`);
        return;
      }
      await withDb(config(), async (d) => {
        const asDate = new Date(key);
        const r = await d.pool.query<DagRunRow>(
          `SELECT * FROM dag_run WHERE dag_id = $1 AND (run_id = $2 OR ($3::timestamptz IS NOT NULL AND logical_date = $3)) LIMIT 1`,
          [dagId, key, Number.isNaN(asDate.getTime()) ? null : asDate],
        );
        if (!r.rows[0]) throw new CliError(`No run of DAG '${dagId}' with run_id or logical_date '${key}'`);
        process.stdout.write(`${r.rows[0].state}\n`);
      });
    });
  dags
    .command('delete <dag_id>')
    .description('Delete a DAG with its runs and task instances (the file stays: the DAG comes back at its next parse)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (dagId: string, o: { yes?: boolean }) => {
      if (!o.yes) throw new CliError(`Deleting ${dagId} removes all its runs and task history: add --yes to confirm`);
      const api = remoteApi();
      if (api) await api.delete(`/api/v2/dags/${seg(dagId)}`);
      else {
        const cfg = config();
        const storage = XComObjectStorage.fromConfig(cfg);
        try {
          const outcome = await withDb(cfg, (d) => deleteDag(d.pool, storage, dagId, process.env.USER ?? null));
          if (outcome === 'missing') throw new CliError(`DAG '${dagId}' not found`);
          if (outcome === 'running') throw new CliError(runningMessage(dagId));
        } finally {
          storage.close();
        }
      }
      process.stdout.write(`Dag: ${dagId} deleted\n`);
    });
  dags
    .command('test <dag_id> [logical_date]')
    .description('Run one DAG run here and now, without a scheduler, printing every task log')
    .option('-c, --conf <json>', 'JSON object passed as dag_run.conf')
    .action(async (dagId: string, date: string | undefined, o) => {
      const ok = await testDag(ensureFernetKey(config()), { dagId, logicalDate: date, conf: parseConf(o.conf) });
      if (!ok) process.exitCode = 1;
    });

  const tasks = program.command('tasks').description('Manage tasks');
  registerTasksClear(tasks, config);
  registerTasksState(tasks, config);
  registerRunOperations(dags, tasks, config);
  tasks
    .command('list <dag_id>')
    .description('List the tasks of a DAG')
    .addOption(outputOption())
    .action(async (dagId: string, o) => {
      const api = remoteApi();
      if (api) {
        const { tasks: rows } = await api.get<{ tasks: { task_id: string; operator_name: string; trigger_rule: string; downstream_task_ids: string[] }[] }>(`/api/v2/dags/${seg(dagId)}/tasks`);
        if (o.output === 'table') process.stdout.write(`${rows.map((t) => t.task_id).sort().join('\n')}\n`);
        else printRows(rows.map((t) => ({ task_id: t.task_id, operator: t.operator_name, trigger_rule: t.trigger_rule, downstream: t.downstream_task_ids })), o.output as OutputFormat);
        return;
      }
      await withDb(config(), async (d) => {
        const dag = await getDag(d.pool, dagId);
        if (!dag?.latest_version_id) throw new CliError(`DAG '${dagId}' not found`);
        const data = await getDagVersion(d.pool, dag.latest_version_id);
        if (o.output === 'table') process.stdout.write(`${data.tasks.map((t) => t.task_id).sort().join('\n')}\n`);
        else printRows(data.tasks.map((t) => ({ task_id: t.task_id, operator: t.operator, trigger_rule: t.trigger_rule, downstream: t.downstream_task_ids })), o.output as OutputFormat);
      });
    });
  tasks
    .command('test <dag_id> <task_id> [logical_date]')
    .description('Run one task here and now, ignoring its dependencies; the run is not kept')
    .action(async (dagId: string, taskId: string, date: string | undefined) => {
      const ok = await testDag(ensureFernetKey(config()), { dagId, taskId, logicalDate: date });
      if (!ok) process.exitCode = 1;
    });
  tasks
    .command('logs <dag_id> <run_id> <task_id>')
    .description('Print the log of a task try')
    .option('-t, --try-number <n>', 'try number (default: the latest)')
    .action(async (dagId: string, runId: string, taskId: string, o) => {
      const api = remoteApi();
      if (api) {
        const base = `/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}`;
        const tryNumber = o.tryNumber ? Number(o.tryNumber) : (await api.get<{ try_number: number }>(base)).try_number;
        process.stdout.write(await api.request<string>('GET', `${base}/logs/${tryNumber}?full_content=true`, undefined, 'text/plain'));
        return;
      }
      await withDb(config(), async (d) => {
        const ti = await d.pool.query<{ try_number: number; map_index: number }>('SELECT try_number, map_index FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3', [dagId, runId, taskId]);
        if (!ti.rows[0]) throw new CliError(`No task instance ${dagId}.${taskId} in run ${runId}`);
        const tryNumber = o.tryNumber ? Number(o.tryNumber) : ti.rows[0].try_number;
        const file = path.join(config().str('logging', 'base_log_folder'), logRelativePath({ dag_id: dagId, run_id: runId, task_id: taskId, map_index: ti.rows[0].map_index, try_number: tryNumber }));
        if (!fs.existsSync(file)) throw new CliError(`No log for try ${tryNumber} (${file})`);
        process.stdout.write(fs.readFileSync(file, 'utf8'));
      });
    });

  registerVariableCommands(program, config);
  registerUserCommands(program, config);
  registerRoleCommands(program, config);
  registerPoolCommands(program, config);
  registerBackfillCommands(program, config);
  registerAuthCommands(program);
  registerConnectionCommands(program, config);
  registerRotateFernetKey(program, config);

  const cfg = program.command('config').description('View the configuration');
  cfg
    .command('list')
    .description('Show every option, its value and where it came from')
    .addOption(outputOption())
    .action((o) => {
      const c = config();
      printRows(
        c.list().map((e) => ({ section: e.section, key: e.key, value: e.secret && e.value ? '< hidden >' : e.value, source: e.source })),
        o.output as OutputFormat,
      );
      for (const w of c.warnings) process.stderr.write(`warning: ${w}\n`);
    });
  cfg
    .command('get-value <section> <key>')
    .description('Print the value of one option')
    .action((section: string, key: string) => {
      const entry = config().get(section, key);
      if (!entry) throw new CliError(`The option [${section}/${key}] is not found in config.`);
      process.stdout.write(`${entry.value}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const known = err instanceof CliError || err instanceof ConfigError || err instanceof DatabaseError;
    const message = (err as Error)?.message ?? String(err);
    process.stderr.write(`Error: ${known ? message : message.split('\n')[0]}\n`);
    if (!known && process.env.UPDRAFT_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  }
}

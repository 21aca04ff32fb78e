/**
 * `updraft tasks clear DAG_ID`: Airflow's flags (-t regex, -s/-e dates,
 * -f only failed, -r only running, -u upstream, -d downstream, -y yes). Lists
 * what it will clear and asks first, unless --yes; --dry-run only lists.
 */
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import type { Config } from '../config/config.ts';
import { getDag, getDagVersion } from '../db/sql/dags.ts';
import { clearTaskInstances, tisToClear, type ClearRequest } from '../scheduler/clear.ts';
import { BadRequestError, NotFoundError } from '../scheduler/runs.ts';
import { XComObjectStorage } from '../xcom/object-storage.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';
import { type ApiClient, remoteApi, seg } from './api-client.ts';

function date(text: string | undefined, flag: string): Date | null {
  if (!text) return null;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new CliError(`${flag} is not a date: ${text}`);
  return d;
}

export function registerTasksClear(tasks: Command, config: () => Config) {
  tasks
    .command('clear <dag_id>')
    .description('Clear task instances so they run again (all states unless -f or -r)')
    .option('-t, --task-regex <regex>', 'only tasks whose id matches')
    .option('-s, --start-date <date>', 'only runs with a logical date on or after')
    .option('-e, --end-date <date>', 'only runs with a logical date on or before')
    .option('-f, --only-failed', 'only failed and upstream_failed task instances')
    .option('-r, --only-running', 'only running task instances')
    .option('-u, --upstream', 'also their upstream tasks')
    .option('-d, --downstream', 'also their downstream tasks')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'list what would be cleared, change nothing')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(async (dagId: string, o) => {
      const api = remoteApi();
      if (api) return clearRemotely(api, dagId, o);
      const cfg = config();
      await withDb(cfg, async (db) => {
        const dag = await getDag(db.pool, dagId);
        if (!dag?.latest_version_id) throw new CliError(`DAG '${dagId}' not found`);
        let taskIds: string[] | null = null;
        if (o.taskRegex) {
          let re: RegExp;
          try {
            re = new RegExp(o.taskRegex);
          } catch (err) {
            throw new CliError(`--task-regex is not a regular expression: ${(err as Error).message}`);
          }
          taskIds = (await getDagVersion(db.pool, dag.latest_version_id)).tasks.map((t) => t.task_id).filter((id) => re.test(id));
          if (taskIds.length === 0) throw new CliError(`No task of DAG '${dagId}' matches /${o.taskRegex}/`);
        }
        const request: ClearRequest = {
          dag_id: dagId,
          task_ids: taskIds,
          start_date: date(o.startDate, '--start-date'),
          end_date: date(o.endDate, '--end-date'),
          only_failed: !!o.onlyFailed,
          only_running: !!o.onlyRunning,
          include_upstream: !!o.upstream,
          include_downstream: !!o.downstream,
          owner: cliUser(),
        };
        try {
          const preview = await tisToClear(db.pool, request);
          const rows = preview.map((t) => ({ dag_id: t.dag_id, run_id: t.run_id, task_id: t.task_id, state: t.state }));
          if (preview.length === 0) {
            process.stdout.write('No task instances to clear.\n');
            return;
          }
          printRows(rows, o.output as OutputFormat);
          if (o.dryRun) return;
          if (!o.yes && !(await confirm(preview.length))) return;
          const storage = XComObjectStorage.fromConfig(cfg);
          try {
            const cleared = await clearTaskInstances(db.pool, storage, request);
            process.stdout.write(`Cleared ${cleared.length} task instance(s).\n`);
          } finally {
            storage.close();
          }
        } catch (err) {
          if (err instanceof NotFoundError || err instanceof BadRequestError) throw new CliError(err.message);
          throw err;
        }
      });
    });
}

/** Asks before clearing; false (after saying so) when the answer is not yes. */
async function confirm(count: number): Promise<boolean> {
  if (!process.stdin.isTTY) throw new CliError('Refusing to clear without confirmation: add --yes');
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`Clear these ${count} task instance(s)? [y/N] `);
  rl.close();
  if (/^y(es)?$/i.test(answer.trim())) return true;
  process.stdout.write('Nothing cleared.\n');
  return false;
}

/** The same through POST /api/v2/dags/{dag_id}/clearTaskInstances: a dry run to show, then the clear. */
async function clearRemotely(api: ApiClient, dagId: string, o: Record<string, string | boolean | undefined>) {
  let taskIds: string[] | undefined;
  if (o.taskRegex) {
    let re: RegExp;
    try {
      re = new RegExp(String(o.taskRegex));
    } catch (err) {
      throw new CliError(`--task-regex is not a regular expression: ${(err as Error).message}`);
    }
    const { tasks } = await api.get<{ tasks: { task_id: string }[] }>(`/api/v2/dags/${seg(dagId)}/tasks`);
    taskIds = tasks.map((t) => t.task_id).filter((id) => re.test(id));
    if (taskIds.length === 0) throw new CliError(`No task of DAG '${dagId}' matches /${o.taskRegex}/`);
  }
  const body = {
    task_ids: taskIds,
    start_date: date(o.startDate as string | undefined, '--start-date')?.toISOString(),
    end_date: date(o.endDate as string | undefined, '--end-date')?.toISOString(),
    only_failed: !!o.onlyFailed,
    only_running: !!o.onlyRunning,
    include_upstream: !!o.upstream,
    include_downstream: !!o.downstream,
  };
  const preview = await api.post<{ task_instances: { dag_id: string; dag_run_id: string; task_id: string; state: string | null }[] }>(`/api/v2/dags/${seg(dagId)}/clearTaskInstances`, { ...body, dry_run: true });
  if (preview.task_instances.length === 0) {
    process.stdout.write('No task instances to clear.\n');
    return;
  }
  printRows(preview.task_instances.map((t) => ({ dag_id: t.dag_id, run_id: t.dag_run_id, task_id: t.task_id, state: t.state })), o.output as OutputFormat);
  if (o.dryRun) return;
  if (!o.yes && !(await confirm(preview.task_instances.length))) return;
  const cleared = await api.post<{ task_instances: unknown[] }>(`/api/v2/dags/${seg(dagId)}/clearTaskInstances`, { ...body, dry_run: false });
  process.stdout.write(`Cleared ${cleared.task_instances.length} task instance(s).\n`);
}

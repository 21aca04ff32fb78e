/**
 * `updraft tasks state DAG_ID TASK_ID LOGICAL_DATE_OR_RUN_ID`: prints the
 * state of a task instance (`None` when it has none yet), as Airflow does.
 */
import type { Command } from 'commander';
import type { Config } from '../config/config.ts';
import { CliError } from './errors.ts';
import { withDb } from './with-db.ts';
import { type ApiClient, remoteApi, seg } from './api-client.ts';

/** The run id a run id or a logical date names, through the API. */
export async function remoteRunId(api: ApiClient, dagId: string, key: string): Promise<string> {
  const byId = await api.get(`/api/v2/dags/${seg(dagId)}/dagRuns/${seg(key)}`).catch(() => null);
  if (byId) return byId.dag_run_id as string;
  const asDate = new Date(key);
  if (!Number.isNaN(asDate.getTime())) {
    const iso = encodeURIComponent(asDate.toISOString());
    const found = await api.get(`/api/v2/dags/${seg(dagId)}/dagRuns?logical_date_gte=${iso}&logical_date_lte=${iso}`);
    if (found.dag_runs[0]) return found.dag_runs[0].dag_run_id as string;
  }
  throw new CliError(`No run of DAG '${dagId}' with run_id or logical_date '${key}'`);
}

export function registerTasksState(tasks: Command, config: () => Config) {
  tasks
    .command('state <dag_id> <task_id> <logical_date_or_run_id>')
    .description('Print the state of a task instance')
    .option('-m, --map-index <n>', 'mapped task index', '-1')
    .action(async (dagId: string, taskId: string, key: string, o) => {
      const mapIndex = Number(o.mapIndex);
      if (!Number.isInteger(mapIndex)) throw new CliError(`--map-index must be an integer, got '${o.mapIndex}'`);
      const api = remoteApi();
      if (api) {
        const runId = await remoteRunId(api, dagId, key);
        const ti = await api.get(`/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/${mapIndex}`);
        process.stdout.write(`${ti.state ?? 'None'}\n`);
        return;
      }
      await withDb(config(), async (d) => {
        const asDate = new Date(key);
        const run = await d.pool.query<{ run_id: string }>(
          `SELECT run_id FROM dag_run WHERE dag_id = $1 AND (run_id = $2 OR ($3::timestamptz IS NOT NULL AND logical_date = $3)) LIMIT 1`,
          [dagId, key, Number.isNaN(asDate.getTime()) ? null : asDate],
        );
        if (!run.rows[0]) throw new CliError(`No run of DAG '${dagId}' with run_id or logical_date '${key}'`);
        const ti = await d.pool.query<{ state: string | null }>(
          'SELECT state FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4',
          [dagId, run.rows[0].run_id, taskId, mapIndex],
        );
        if (!ti.rows[0]) throw new CliError(`No task instance ${dagId}.${taskId} (map index ${mapIndex}) in run ${run.rows[0].run_id}`);
        process.stdout.write(`${ti.rows[0].state ?? 'None'}\n`);
      });
    });
}

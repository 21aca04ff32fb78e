/**
 * The run and task-instance operations of the UI and the API, from the
 * command line: mark task instances success/failed/skipped (with upstream,
 * downstream, past, future, dry run), set a run's state, write notes, delete
 * a run. Locally they use the same functions the api-server does; with
 * --api-url they go through the REST API.
 */
import type { Command } from 'commander';
import type { Config } from '../config/config.ts';
import { getDagRun, setDagRunNote, type RunState } from '../db/sql/dag-runs.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { setTiNote } from '../db/sql/task-instances.ts';
import { deleteRun, markTaskInstances, type MarkState, setRunState, StateConflictError, tisToMark } from '../scheduler/mark.ts';
import { BadRequestError, NotFoundError } from '../scheduler/runs.ts';
import { XComObjectStorage } from '../xcom/object-storage.ts';
import { remoteApi, seg } from './api-client.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';

const TI_STATES: MarkState[] = ['success', 'failed', 'skipped'];
const RUN_STATES: RunState[] = ['success', 'failed', 'queued'];

function mapIndexOption(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < -1) throw new CliError(`--map-index must be an integer >= -1, got '${raw}'`);
  return n;
}

function translate(err: unknown): never {
  if (err instanceof NotFoundError || err instanceof BadRequestError || err instanceof StateConflictError) throw new CliError(err.message);
  throw err;
}

async function withStorage<T>(cfg: Config, fn: (storage: XComObjectStorage) => Promise<T>): Promise<T> {
  const storage = XComObjectStorage.fromConfig(cfg);
  try {
    return await fn(storage);
  } finally {
    storage.close();
  }
}

export function registerRunOperations(dags: Command, tasks: Command, config: () => Config) {
  tasks
    .command('mark <dag_id> <run_id> <task_id> <state>')
    .description('Mark a task instance success, failed or skipped (as the UI does), optionally with its relatives')
    .option('-m, --map-index <n>', 'one mapped instance (default: all of the task)')
    .option('-u, --upstream', 'also the upstream tasks')
    .option('-d, --downstream', 'also the downstream tasks')
    .option('--past', 'also in earlier runs')
    .option('--future', 'also in later runs')
    .option('--dry-run', 'list what would change, change nothing')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(async (dagId: string, runId: string, taskId: string, state: string, o) => {
      if (!TI_STATES.includes(state as MarkState)) throw new CliError(`state must be one of ${TI_STATES.join(', ')}, got '${state}'`);
      const mapIndex = mapIndexOption(o.mapIndex);
      const flags = { include_upstream: !!o.upstream, include_downstream: !!o.downstream, include_past: !!o.past, include_future: !!o.future };
      let rows: Record<string, unknown>[];
      const api = remoteApi();
      if (api) {
        const path = `/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}${mapIndex === null ? '' : `/${mapIndex}`}${o.dryRun ? '/dry_run' : ''}`;
        const answer = await api.request('PATCH', path, { new_state: state, ...flags });
        rows = (answer.task_instances ?? []).map((t: Record<string, unknown>) => ({ dag_id: t.dag_id, run_id: t.dag_run_id, task_id: t.task_id, map_index: t.map_index, state: t.state }));
      } else {
        const cfg = config();
        rows = await withDb(cfg, async (db) => {
          const req = { dag_id: dagId, dag_run_id: runId, task_id: taskId, map_index: mapIndex, new_state: state as MarkState, ...flags, dry_run: !!o.dryRun, owner: cliUser() };
          try {
            const tis = o.dryRun ? await tisToMark(db.pool, req) : await withStorage(cfg, (storage) => markTaskInstances(db.pool, storage, req));
            return tis.map((t) => ({ dag_id: t.dag_id, run_id: t.run_id, task_id: t.task_id, map_index: t.map_index, state: o.dryRun ? t.state : state }));
          } catch (err) {
            return translate(err);
          }
        });
      }
      if (rows.length === 0) process.stdout.write(`Nothing to mark: already ${state}.\n`);
      else printRows(rows, o.output as OutputFormat);
      if (!o.dryRun && rows.length) process.stderr.write(`Marked ${rows.length} task instance(s) ${state}.\n`);
    });

  tasks
    .command('note <dag_id> <run_id> <task_id> <note>')
    .description("Set a task instance's note (an empty string removes it)")
    .option('-m, --map-index <n>', 'mapped task index', '-1')
    .action(async (dagId: string, runId: string, taskId: string, text: string, o) => {
      const mapIndex = mapIndexOption(o.mapIndex) ?? -1;
      const api = remoteApi();
      if (api) {
        await api.request('PATCH', `/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/${mapIndex}?update_mask=note`, { note: text || null });
      } else {
        await withDb(config(), async (db) => {
          const ti = await setTiNote(db.pool, { dag_id: dagId, run_id: runId, task_id: taskId, map_index: mapIndex }, text || null);
          if (!ti) throw new CliError(`No task instance ${dagId}.${taskId} (map index ${mapIndex}) in run ${runId}`);
          await logEvent(db.pool, { event: 'patch_task_instance_note', owner: cliUser(), dag_id: dagId, task_id: taskId, run_id: runId, extra: { note: text } });
        });
      }
      process.stdout.write(text ? 'Note saved.\n' : 'Note removed.\n');
    });

  dags
    .command('set-run-state <dag_id> <run_id> <state>')
    .description('Mark a DAG run success or failed, or queue it again (as the UI does)')
    .action(async (dagId: string, runId: string, state: string) => {
      if (!RUN_STATES.includes(state as RunState)) throw new CliError(`state must be one of ${RUN_STATES.join(', ')}, got '${state}'`);
      const api = remoteApi();
      if (api) {
        await api.request('PATCH', `/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}?update_mask=state`, { state });
      } else {
        await withDb(config(), async (db) => {
          const run = await getDagRun(db.pool, dagId, runId);
          if (!run) throw new CliError(`No run '${runId}' of DAG '${dagId}'`);
          await setRunState(db.pool, run, state as RunState, cliUser()).catch(translate);
        });
      }
      process.stdout.write(`DAG run ${dagId} ${runId} is ${state}.\n`);
    });

  dags
    .command('note <dag_id> <run_id> <note>')
    .description("Set a DAG run's note (an empty string removes it)")
    .action(async (dagId: string, runId: string, text: string) => {
      const api = remoteApi();
      if (api) {
        await api.request('PATCH', `/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}?update_mask=note`, { note: text || null });
      } else {
        await withDb(config(), async (db) => {
          const run = await getDagRun(db.pool, dagId, runId);
          if (!run) throw new CliError(`No run '${runId}' of DAG '${dagId}'`);
          await setDagRunNote(db.pool, run.id, text || null);
          await logEvent(db.pool, { event: 'patch_dag_run_note', owner: cliUser(), dag_id: dagId, run_id: runId, extra: { note: text } });
        });
      }
      process.stdout.write(text ? 'Note saved.\n' : 'Note removed.\n');
    });

  dags
    .command('delete-run <dag_id> <run_id>')
    .description('Delete a DAG run with its task instances, XComs and history')
    .action(async (dagId: string, runId: string) => {
      const api = remoteApi();
      if (api) {
        await api.request('DELETE', `/api/v2/dags/${seg(dagId)}/dagRuns/${seg(runId)}`);
      } else {
        const cfg = config();
        await withDb(cfg, async (db) => {
          const gone = await withStorage(cfg, (storage) => deleteRun(db.pool, storage, dagId, runId, cliUser()));
          if (!gone) throw new CliError(`No run '${runId}' of DAG '${dagId}'`);
        });
      }
      process.stdout.write(`Deleted DAG run ${dagId} ${runId}.\n`);
    });
}

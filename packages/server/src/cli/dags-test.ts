/**
 * `updraft dags test DAG_ID [DATE]` and `updraft tasks test DAG_ID TASK_ID [DATE]`:
 * parse the DAG file now, create one run and execute it right here — no
 * running scheduler needed — printing each task's log as it finishes.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { buildApp } from '../api/app.ts';
import { DagProcessor } from '../dag-processing/processor.ts';
import { getDag } from '../db/sql/dags.ts';
import { listRunTis } from '../db/sql/task-instances.ts';
import { LocalExecutor } from '../executors/local.ts';
import { ensureRunnerBundle } from '../executors/runner-bundle.ts';
import { logRelativePath } from '../executors/workload.ts';
import { makeRunId, triggerDagRun } from '../scheduler/runs.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { jwtSecret } from '../security/secret.ts';
import { createLogger } from '../util/logger.ts';
import { CliError } from './errors.ts';
import { withDb } from './with-db.ts';

export async function testDag(config: Config, opts: { dagId: string; logicalDate?: string; conf?: unknown; taskId?: string }): Promise<boolean> {
  return withDb(config, async (db) => {
    const quiet = createLogger('dags-test', 'warn');
    const processor = new DagProcessor({ pool: db.pool, config, log: quiet });
    const existing = await getDag(db.pool, opts.dagId);
    if (existing) await processor.processFile(existing.fileloc);
    else await processor.processAll();
    await processor.close();
    const dag = await getDag(db.pool, opts.dagId);
    if (!dag) throw new CliError(`DAG '${opts.dagId}' not found in ${processor.folders().join(' or ')} (see \`updraft dags list-import-errors\`)`);
    const importError = await db.pool.query<{ message: string }>('SELECT message FROM import_error WHERE filename = $1', [dag.fileloc]);
    if (importError.rows[0]) throw new CliError(`The DAG file has an import error: ${importError.rows[0].message}`);

    const logicalDate = opts.logicalDate ? new Date(opts.logicalDate) : new Date();
    if (Number.isNaN(logicalDate.getTime())) throw new CliError(`Not a date: ${opts.logicalDate}`);
    const run = await triggerDagRun(db.pool, {
      dag_id: opts.dagId,
      run_id: `${opts.taskId ? 'test_task' : 'test'}__${makeRunId('manual', new Date()).slice(8)}`,
      logical_date: logicalDate,
      conf: opts.conf,
      triggered_by: 'test',
    });
    if (opts.taskId) {
      const r = await db.pool.query(`UPDATE task_instance SET state = CASE WHEN task_id = $3 THEN 'scheduled' ELSE 'removed' END WHERE dag_id = $1 AND run_id = $2 RETURNING task_id`, [opts.dagId, run.run_id, opts.taskId]);
      if (!r.rows.some((x) => x.task_id === opts.taskId)) {
        await db.pool.query('DELETE FROM dag_run WHERE id = $1', [run.id]);
        throw new CliError(`Task '${opts.taskId}' not found in DAG '${opts.dagId}'`);
      }
    }
    await db.pool.query(`UPDATE dag_run SET state = 'running', start_date = now() WHERE id = $1`, [run.id]);

    const secret = jwtSecret(config);
    const app = buildApp({ pool: db.pool, config, secret });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const executor = new LocalExecutor({ parallelism: config.int('core', 'parallelism'), warmProcesses: 1, runnerEntry: (await ensureRunnerBundle()) ?? undefined });
    const logFolder = config.str('logging', 'base_log_folder');
    executor.onExit(async (exit) => {
      const text = fs.existsSync(exit.log_path) ? fs.readFileSync(exit.log_path, 'utf8') : '(no log)';
      process.stdout.write(`\n--- ${path.relative(logFolder, exit.log_path)} ---\n${text}`);
    });
    const scheduler = new Scheduler({ pool: db.pool, config, executor, secret, apiUrl: `http://127.0.0.1:${port}`, log: quiet, onlyRun: { dag_id: opts.dagId, run_id: run.run_id } });
    await scheduler.start();
    let state = 'running';
    try {
      while (state === 'running') {
        await new Promise((r) => setTimeout(r, 100));
        if (opts.taskId) {
          const ti = (await listRunTis(db.pool, opts.dagId, run.run_id)).find((t) => t.task_id === opts.taskId);
          if (ti && ['success', 'failed', 'skipped', 'up_for_retry'].includes(ti.state ?? '') && executor.running().length === 0) state = ti.state === 'success' || ti.state === 'skipped' ? 'success' : 'failed';
        } else {
          state = (await db.pool.query<{ state: string }>('SELECT state FROM dag_run WHERE id = $1', [run.id])).rows[0].state;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await scheduler.stop();
      await executor.stop();
      await app.close();
    }
    const tis = await listRunTis(db.pool, opts.dagId, run.run_id);
    process.stdout.write('\n');
    for (const ti of tis.filter((t) => t.state !== 'removed')) {
      process.stdout.write(`${ti.task_id.padEnd(30)} ${String(ti.state).padEnd(16)} ${ti.try_number ? path.join(logFolder, logRelativePath(ti)) : ''}\n`);
    }
    process.stdout.write(`\nDag run ${run.run_id}: ${state}\n`);
    if (opts.taskId) await db.pool.query('DELETE FROM dag_run WHERE id = $1', [run.id]);
    return state === 'success';
  });
}

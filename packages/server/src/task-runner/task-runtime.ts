/**
 * The TaskRuntime the SDK's Variable, Connection, XComArg and ti.xcom_* use
 * in a task process: Execution API calls through TaskLookups (which registers
 * the secrets they return with the masker).
 */
import type { TaskLogger, TaskRuntime } from '@updraft/sdk/runtime';
import type { ExecutionClient } from './execution-client.ts';
import type { TaskLookups } from './lookups.ts';
import { selectXCom, xcomQueryFromOptions, xcomSource, type PullingTask } from './xcom-select.ts';

export function taskRuntime(client: ExecutionClient, lookups: TaskLookups, self: PullingTask & { map_index: number }, log: TaskLogger, tiId: string): TaskRuntime {
  return {
    log,
    getVariable: (key) => lookups.variable(key),
    setVariable: (key, value, description) => client.setVariable(key, value, description),
    getConnection: (connId) => lookups.connection(connId),
    xcomPush: (key, value) => client.pushXCom(self.dag_id, self.run_id, self.task_id, self.map_index, key, value),
    skip: (taskIds) => client.skipDownstream(tiId, taskIds),
    triggerDagRun: (dagId, o) =>
      client.triggerDagRun(dagId, { run_id: o.run_id ?? null, ...(o.logical_date !== undefined ? { logical_date: o.logical_date?.toISOString() ?? null } : {}), conf: o.conf ?? {}, reset_dag_run: o.reset_dag_run ?? false }),
    getDagRunState: (dagId, by) => client.dagRunState(dagId, by.run_id ? { run_id: by.run_id } : { logical_date: (by.logical_date as Date).toISOString() }),
    async getTaskStates(dagId, by) {
      const query: Record<string, string> = by.run_id ? { run_id: by.run_id } : { logical_date: (by.logical_date as Date).toISOString() };
      if (by.task_ids) query.task_ids = by.task_ids.join(',');
      if (by.task_group_id) query.task_group_id = by.task_group_id;
      return (await client.taskStates(dagId, query)).states;
    },
    async xcomPull(options) {
      const query = xcomQueryFromOptions(options);
      return selectXCom(await lookups.xcoms(xcomSource(query, self)), query, self.task_id);
    },
  };
}

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
    async xcomPull(options) {
      const query = xcomQueryFromOptions(options);
      return selectXCom(await lookups.xcoms(xcomSource(query, self)), query, self.task_id);
    },
  };
}

/** Test doubles: an in-memory TaskRuntime and a Context built on it. */
import type { BaseOperator, ConnectionInfo, Context, TaskLogger, TaskRuntime, XComPullOptions } from '@updraft/sdk';

export class MemoryLogger implements TaskLogger {
  lines: string[] = [];
  debug(message: string): void {
    this.lines.push(`DEBUG ${message}`);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  warning(message: string): void {
    this.lines.push(`WARNING ${message}`);
  }
  error(message: string): void {
    this.lines.push(`ERROR ${message}`);
  }
}

/** XComs are stored per "task_id|key"; pushes go to `currentTaskId`. */
export class MemoryRuntime implements TaskRuntime {
  variables = new Map<string, string>();
  connections = new Map<string, ConnectionInfo>();
  xcoms = new Map<string, unknown>();
  pulls: XComPullOptions[] = [];
  /** task ids asked to be skipped, in order */
  skipped: string[] = [];
  currentTaskId = 'current';
  log = new MemoryLogger();

  async getVariable(key: string): Promise<string | null> {
    return this.variables.get(key) ?? null;
  }
  async setVariable(key: string, value: string): Promise<void> {
    this.variables.set(key, value);
  }
  async getConnection(connId: string): Promise<ConnectionInfo | null> {
    return this.connections.get(connId) ?? null;
  }
  async xcomPush(key: string, value: unknown): Promise<void> {
    this.xcoms.set(`${this.currentTaskId}|${key}`, value);
  }
  async skip(taskIds: string[]): Promise<void> {
    this.skipped.push(...taskIds);
  }
  async xcomPull(options: XComPullOptions): Promise<unknown> {
    this.pulls.push(options);
    const key = options.key ?? 'return_value';
    const read = (taskId: string) => (this.xcoms.has(`${taskId}|${key}`) ? this.xcoms.get(`${taskId}|${key}`) : options.default ?? null);
    const ids = options.task_ids ?? this.currentTaskId;
    return Array.isArray(ids) ? ids.map(read) : read(ids);
  }
}

export function makeContext(task: BaseOperator, runtime: MemoryRuntime, extra: Partial<Context> = {}): Context {
  runtime.currentTaskId = task.task_id;
  const ti = {
    dag_id: task.dag_id ?? 'test_dag',
    task_id: task.task_id,
    run_id: 'manual__2021-01-01T00:00:00+00:00',
    try_number: 1,
    map_index: -1,
    xcom_push: (key: string, value: unknown) => runtime.xcomPush(key, value),
    xcom_pull: (options?: XComPullOptions | string | string[]) =>
      runtime.xcomPull(typeof options === 'string' || Array.isArray(options) ? { task_ids: options } : (options ?? {})),
    log: runtime.log,
  };
  const logicalDate = new Date('2021-01-01T00:00:00Z');
  return {
    dag: task.dag!,
    task,
    ti,
    task_instance: ti,
    dag_run: {
      dag_id: ti.dag_id,
      run_id: ti.run_id,
      run_type: 'manual',
      logical_date: logicalDate,
      data_interval_start: logicalDate,
      data_interval_end: logicalDate,
      conf: {},
      start_date: logicalDate,
    },
    run_id: ti.run_id,
    ds: '2021-01-01',
    ds_nodash: '20210101',
    ts: '2021-01-01T00:00:00+00:00',
    ts_nodash: '20210101T000000',
    logical_date: logicalDate,
    data_interval_start: logicalDate,
    data_interval_end: logicalDate,
    params: {},
    try_number: 1,
    log: runtime.log,
    signal: new AbortController().signal,
    ...extra,
  };
}

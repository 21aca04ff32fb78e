/** What an executor is handed for one task try: everything the task process needs, nothing from the database. */
export interface Workload {
  ti_id: string;
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  try_number: number;
  /** DAG file to import (absolute path) */
  dag_file: string;
  /** bearer token valid for this try only */
  token: string;
  /** base URL of the api-server's Execution API */
  api_url: string;
  log_path: string;
  execution_timeout_seconds: number | null;
  heartbeat_seconds: number;
  kill_grace_seconds: number;
}

export interface ProcessExit {
  ti_id: string;
  code: number | null;
  signal: string | null;
  log_path: string;
  /** the executor killed it because it ran past execution_timeout */
  timed_out: boolean;
}

export interface Executor {
  /** how many more tries it can take now */
  freeSlots(): number;
  submit(workload: Workload): void;
  /** called for every try's process when it ends, whatever the reason */
  onExit(listener: (exit: ProcessExit) => void): void;
  running(): string[];
  stop(): Promise<void>;
}

/** Airflow's log layout: dag_id=…/run_id=…/task_id=…/attempt=N.log */
export function logRelativePath(w: { dag_id: string; run_id: string; task_id: string; map_index: number; try_number: number }): string {
  const mapPart = w.map_index >= 0 ? `/map_index=${w.map_index}` : '';
  return `dag_id=${w.dag_id}/run_id=${w.run_id}/task_id=${w.task_id}${mapPart}/attempt=${w.try_number}.log`;
}

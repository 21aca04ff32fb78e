/**
 * The serialized form of a DAG: what the DAG processor stores in the database
 * and what the scheduler and api-server read. JSON only; field names are
 * Airflow's (snake_case) because users see them in the API and UI.
 *
 * This file is the contract between the SDK (which produces it) and the server
 * (which consumes it). Change it with care: bump SERIALIZATION_VERSION.
 */

export const SERIALIZATION_VERSION = 1;

export type SerializedSchedule =
  | { kind: 'none' }
  | { kind: 'once' }
  | { kind: 'continuous' }
  /** presets are normalized to cron: @hourly → "0 * * * *", @quarterly → "0 0 1 *\/3 *" … */
  | {
      kind: 'cron';
      expression: string;
      /** CronTriggerTimetable: a run at each tick (data interval of interval_seconds before it); absent: data intervals between ticks */
      trigger?: { interval_seconds: number };
      /** the timetable's own zone; absent: the DAG's */
      timezone?: string;
    }
  /** EventsTimetable: runs at these moments */
  | { kind: 'events'; dates: string[]; restrict_to_events: boolean; description: string | null }
  | { kind: 'delta'; seconds: number }
  /** runs when assets are updated (their events), not by time */
  | { kind: 'assets'; condition: AssetCondition };

/** An asset schedule: one asset, all of some (Airflow's &), any of some (|). */
export type AssetCondition = { asset: { uri: string; name: string } } | { all: AssetCondition[] } | { any: AssetCondition[] };

export type TriggerRule =
  | 'all_success'
  | 'all_failed'
  | 'all_done'
  | 'all_done_min_one_success'
  | 'all_done_setup_success'
  | 'one_success'
  | 'one_failed'
  | 'one_done'
  | 'none_failed'
  | 'none_failed_min_one_success'
  | 'none_skipped'
  | 'all_skipped'
  | 'always';

export interface SerializedParam {
  value: unknown;
  description: string | null;
  /** JSON-schema-ish keywords Airflow's Param takes: type, enum, minimum, … */
  schema: Record<string, unknown>;
}

export interface SerializedTask {
  task_id: string;
  /** class name shown to users: "BashOperator", "EmptyOperator", "_PythonDecoratedOperator" … */
  operator: string;
  upstream_task_ids: string[];
  downstream_task_ids: string[];
  owner: string;
  retries: number;
  retry_delay_seconds: number;
  retry_exponential_backoff: boolean;
  max_retry_delay_seconds: number | null;
  execution_timeout_seconds: number | null;
  trigger_rule: TriggerRule;
  depends_on_past: boolean;
  wait_for_downstream: boolean;
  pool: string;
  pool_slots: number;
  /** own weight; the scheduler computes the effective weight with weight_rule */
  priority_weight: number;
  weight_rule: 'downstream' | 'upstream' | 'absolute';
  queue: string;
  email: string[];
  email_on_failure: boolean;
  email_on_retry: boolean;
  has_on_execute_callback: boolean;
  has_on_success_callback: boolean;
  has_on_failure_callback: boolean;
  has_on_retry_callback: boolean;
  has_on_skipped_callback: boolean;
  template_fields: string[];
  template_ext: string[];
  doc_md: string | null;
  /** EmptyOperator: the scheduler marks it success without running a process */
  is_empty: boolean;
  /** operator arguments shown to users (bash_command, env …), JSON only */
  fields: Record<string, unknown>;
  /** id of the innermost enclosing task group ("outer.inner"), null at the DAG's top level */
  task_group_id?: string | null;
  /** partial().expand(): one task instance per element, each with its map_index (0, 1, …) */
  is_mapped?: boolean;
  /** how many task instances a mapped task gets: literal lengths, or the upstream XComs to count */
  expand_input?: {
    kind: 'dict' | 'list';
    parts: { key: string | null; length: number | null; xcom: { task_id: string; key: string } | null }[];
  };
  /** a task of a mapped task group: mapped over the group's input, task i depending on its group-mates' task i */
  mapped_group_id?: string;
  /** at most this many task instances of the task run at once across the DAG's runs */
  max_active_tis_per_dag?: number;
  is_setup?: boolean;
  is_teardown?: boolean;
  /** a teardown whose failure fails the run */
  on_failure_fail_dagrun?: boolean;
  /** assets the task updates when it succeeds */
  outlets?: { uri: string; name: string }[];
  /** sensors: "poke" | "reschedule"; deferrable sensors and operators say so */
  sensor_mode?: 'poke' | 'reschedule' | null;
}

export interface SerializedTaskGroup {
  /** full id, prefixed by its parents ("outer.inner") */
  group_id: string;
  parent_group_id: string | null;
  tooltip: string | null;
}

export interface SerializedDag {
  serialization_version: number;
  dag_id: string;
  /** absolute path of the file that defined the DAG */
  fileloc: string;
  description: string | null;
  schedule: SerializedSchedule;
  /** what the author wrote, for display: "@daily", "0 0 * * *", "1 day, 0:00:00", null */
  schedule_text: string | null;
  timezone: string;
  /** ISO-8601 with offset, or null */
  start_date: string | null;
  end_date: string | null;
  catchup: boolean;
  tags: string[];
  owners: string[];
  params: Record<string, SerializedParam>;
  max_active_runs: number | null;
  max_active_tasks: number | null;
  dagrun_timeout_seconds: number | null;
  doc_md: string | null;
  is_paused_upon_creation: boolean | null;
  render_template_as_native_obj: boolean;
  template_searchpath: string[];
  has_on_success_callback: boolean;
  has_on_failure_callback: boolean;
  /** default_args as written, JSON-safe (functions dropped), for display */
  default_args: Record<string, unknown>;
  tasks: SerializedTask[];
  /** task groups, parents before children; absent or empty when the DAG has none */
  task_groups?: SerializedTaskGroup[];
  /** what custom roles may do on this DAG: role → resource ('DAGs', 'DAG Runs') → actions; absent when the DAG sets none */
  access_control?: Record<string, { DAGs?: string[]; 'DAG Runs'?: string[] }>;
}

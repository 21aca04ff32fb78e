/**
 * Airflow's xcom_pull rules, separate from fetching: which run's XComs a pull
 * reads (this run, another DAG's run of the same logical date, or the latest
 * earlier one with include_prior_dates) and which values it returns (one task
 * id → one value, a list → a list, map_indexes, key, default). Templates use
 * it on prefetched XComs, task code on XComs fetched at the call.
 */
import type { XComPullOptions } from '@updraft/sdk/runtime';
import type { XComEntry } from './execution-client.ts';

export interface XComQuery {
  task_ids: string | string[] | null;
  dag_id: string | null;
  /** null: any key */
  key: string | null;
  include_prior_dates: boolean;
  /** undefined: every map index (one value for an unmapped task) */
  map_indexes: number | number[] | null | undefined;
  default: unknown;
  run_id: string | null;
}

/** Where a pull reads: one run, or a DAG's runs by logical date. */
export type XComSource =
  | { kind: 'run'; dag_id: string; run_id: string }
  | { kind: 'date'; dag_id: string; date: string; include_prior_dates: boolean };

export interface PullingTask {
  dag_id: string;
  run_id: string;
  task_id: string;
  /** the run's logical date (its run_after when it has none), ISO */
  date: string;
}

const RETURN_KEY = 'return_value';

/** Python's signature: xcom_pull(task_ids=None, dag_id=None, key='return_value', include_prior_dates=False, *, map_indexes, default, run_id). */
export function xcomQueryFromArgs(positional: unknown[], keywords: Record<string, unknown>): XComQuery {
  const arg = (name: string, index: number) => (name in keywords ? keywords[name] : positional[index]);
  const key = arg('key', 2);
  return {
    task_ids: (arg('task_ids', 0) ?? null) as string | string[] | null,
    dag_id: (arg('dag_id', 1) ?? null) as string | null,
    key: key === undefined ? RETURN_KEY : (key as string | null),
    include_prior_dates: Boolean(arg('include_prior_dates', 3) ?? false),
    map_indexes: keywords.map_indexes as XComQuery['map_indexes'],
    default: keywords.default ?? null,
    run_id: (keywords.run_id ?? null) as string | null,
  };
}

/** Task code's spelling: ti.xcom_pull('t'), ti.xcom_pull(['a', 'b']) or ti.xcom_pull({ task_ids, key, … }). */
export function xcomQueryFromOptions(options: XComPullOptions | string | string[] | null | undefined): XComQuery {
  if (typeof options === 'string' || Array.isArray(options)) return xcomQueryFromArgs([options], {});
  const o = options ?? {};
  return {
    task_ids: o.task_ids ?? null,
    dag_id: o.dag_id ?? null,
    key: o.key === undefined ? RETURN_KEY : o.key,
    include_prior_dates: o.include_prior_dates ?? false,
    map_indexes: o.map_indexes,
    default: o.default ?? null,
    run_id: o.run_id ?? null,
  };
}

export function xcomSource(query: XComQuery, self: PullingTask): XComSource {
  const dagId = query.dag_id ?? self.dag_id;
  if (query.run_id) return { kind: 'run', dag_id: dagId, run_id: query.run_id };
  if (dagId === self.dag_id && !query.include_prior_dates) return { kind: 'run', dag_id: dagId, run_id: self.run_id };
  // another DAG's runs share no run_id with ours: Airflow matches them by logical date
  return { kind: 'date', dag_id: dagId, date: self.date, include_prior_dates: query.include_prior_dates };
}

export function sourceKey(source: XComSource): string {
  return source.kind === 'run'
    ? `run\u0000${source.dag_id}\u0000${source.run_id}`
    : `date\u0000${source.dag_id}\u0000${source.date}\u0000${source.include_prior_dates}`;
}

/** The value(s) `query` pulls from `entries` (all from the query's source). */
export function selectXCom(entries: XComEntry[], query: XComQuery, pullingTaskId: string): unknown {
  const keyMatches = (x: XComEntry) => query.key === null || x.key === query.key;
  const valueFor = (found: XComEntry[]): unknown => {
    const { map_indexes: mapIndexes } = query;
    const at = (index: number) => {
      const entry = found.find((x) => x.map_index === index);
      return entry ? entry.value : query.default;
    };
    if (typeof mapIndexes === 'number') return at(mapIndexes);
    if (Array.isArray(mapIndexes)) return mapIndexes.map(at);
    if (found.length === 0) return query.default;
    // a mapped task pushed one value per map index: all of them, in order
    if (found.some((x) => x.map_index >= 0) && found.length > 1) return [...found].sort((a, b) => a.map_index - b.map_index).map((x) => x.value);
    return found[found.length - 1].value;
  };
  if (query.task_ids === null) {
    // no task named: the most recent value of the key from any other task
    const found = entries.filter((x) => keyMatches(x) && x.task_id !== pullingTaskId);
    return found.length ? found[found.length - 1].value : query.default;
  }
  const pick = (taskId: string) => valueFor(entries.filter((x) => x.task_id === taskId && keyMatches(x)));
  return Array.isArray(query.task_ids) ? query.task_ids.map((id) => pick(String(id))) : pick(String(query.task_ids));
}

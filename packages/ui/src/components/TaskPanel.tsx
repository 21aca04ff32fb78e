/** The task instance panel: logs per try, XCom, rendered templates, details with why it is not running, and actions. */
import { useState } from 'react';
import { enc } from '../api.ts';
import { useApi } from '../hooks.ts';
import { navigate, withQuery } from '../router.tsx';
import { ACTIVE_STATES, stateColor } from '../states.ts';
import { formatDuration, Time } from '../time.tsx';
import { ErrorBox, Json, Loading, StateBadge } from './common.tsx';
import type { GridData } from './Grid.tsx';
import { LogView } from './LogView.tsx';
import { TaskActions } from './TaskActions.tsx';

export interface TaskInstance {
  task_id: string;
  dag_id: string;
  dag_run_id: string;
  map_index: number;
  state: string | null;
  try_number: number;
  max_tries: number;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  operator: string;
  pool: string;
  pool_slots: number;
  queue: string;
  priority_weight: number;
  hostname: string | null;
  pid: number | null;
  queued_when: string | null;
  scheduled_when: string | null;
  note: string | null;
  rendered_fields: Record<string, unknown>;
  logical_date: string | null;
}

const PANEL_TABS = ['logs', 'xcom', 'rendered', 'details'] as const;

export function TaskPanel({ dagId, runId, taskId, grid, query, onChanged, onClose }: { dagId: string; runId: string; taskId: string; grid: GridData | null; query: URLSearchParams; onChanged(): void; onClose(): void }) {
  const run = grid?.runs.find((r) => r.dag_run_id === runId);
  const tis = useApi<{ task_instances: TaskInstance[] }>(`/ui/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}`, { pollMs: 2000, poll: !run || ACTIVE_STATES.has(run.state) });
  const mine = (tis.data?.task_instances ?? []).filter((t) => t.task_id === taskId);
  const mapIndexes = mine.map((t) => t.map_index).filter((m) => m >= 0);
  const mapIndex = query.get('map_index') !== null ? Number(query.get('map_index')) : mapIndexes.length ? mapIndexes[0] : -1;
  const ti = mine.find((t) => t.map_index === mapIndex);
  const tab = (PANEL_TABS as readonly string[]).includes(query.get('panel') ?? '') ? (query.get('panel') as (typeof PANEL_TABS)[number]) : 'logs';
  const tries = ti ? Math.max(1, ti.try_number) : 1;
  const tryNumber = Number(query.get('try') ?? tries) || tries;
  const set = (changes: Record<string, string | number | null>) => navigate(withQuery(changes), { replace: true });
  const tiBase = `/api/v2/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}${mapIndex >= 0 ? `/${mapIndex}` : ''}`;
  const tryStates = useApi<{ task_instances: { try_number: number; state: string | null }[] }>(ti && ti.try_number > 0 ? `${tiBase}/tries` : null, { pollMs: 3000, poll: !!ti && ACTIVE_STATES.has(ti.state ?? '') });
  const stateOfTry = (n: number) => tryStates.data?.task_instances.find((t) => t.try_number === n)?.state ?? null;

  return (
    <aside className="task-panel" aria-label={`Task instance ${taskId}`}>
      <header className="panel-head">
        <div>
          <h2>{taskId}</h2>
          <div className="muted small">
            {runId} {ti && <StateBadge state={ti.state} />}
          </div>
        </div>
        <button type="button" className="icon-button" aria-label="Close task panel" onClick={onClose}>
          ×
        </button>
      </header>
      <ErrorBox error={tis.error} />
      {!tis.data && <Loading />}
      {tis.data && (
        <>
          <TaskActions dagId={dagId} runId={runId} taskId={taskId} mapIndex={mapIndexes.length ? mapIndex : null} onDone={() => (tis.reload(), onChanged())} />
          {mapIndexes.length > 0 && (
            <label className="inline-field">
              Map index{' '}
              <select aria-label="Map index" value={mapIndex} onChange={(e) => set({ map_index: e.target.value, try: null })}>
                {mine.map((t) => (
                  <option key={t.map_index} value={t.map_index}>
                    {t.map_index} · {t.state ?? 'no status'}
                  </option>
                ))}
              </select>{' '}
              <span className="muted">{mapIndexes.length} mapped instances</span>
            </label>
          )}
          <div className="tabs small" role="tablist" aria-label="Task instance views">
            {PANEL_TABS.map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'tab active' : 'tab'} onClick={() => set({ panel: t === 'logs' ? null : t })}>
                {t === 'xcom' ? 'XCom' : t === 'rendered' ? 'Rendered templates' : t[0].toUpperCase() + t.slice(1)}
              </button>
            ))}
          </div>
          {tab === 'logs' &&
            (ti && ti.try_number > 0 ? (
              <>
                <div className="tries" role="group" aria-label="Tries">
                  {Array.from({ length: tries }, (_, i) => i + 1).map((n) => (
                    <button key={n} type="button" aria-pressed={n === tryNumber} onClick={() => set({ try: n })} title={stateOfTry(n) ?? ''}>
                      <span className="state-dot" style={{ background: stateColor(stateOfTry(n)) }} aria-hidden="true" /> Try {n}
                    </button>
                  ))}
                </div>
                <LogView dagId={dagId} runId={runId} taskId={taskId} tryNumber={tryNumber} mapIndex={mapIndex} />
              </>
            ) : (
              <p className="muted">No try has started yet.</p>
            ))}
          {tab === 'xcom' && ti && <XComList dagId={dagId} runId={runId} taskId={taskId} mapIndex={mapIndex} />}
          {tab === 'rendered' && ti && (Object.keys(ti.rendered_fields ?? {}).length ? <RenderedFields fields={ti.rendered_fields} /> : <p className="muted">Nothing rendered yet: templates are rendered when the task runs.</p>)}
          {tab === 'details' && (
            <TiDetails ti={ti} dependenciesUrl={`${tiBase}/dependencies`} />
          )}
        </>
      )}
    </aside>
  );
}

function RenderedFields({ fields }: { fields: Record<string, unknown> }) {
  return (
    <table className="table kv">
      <tbody>
        {Object.entries(fields).map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{typeof v === 'string' ? <pre className="rendered">{v}</pre> : <Json value={v} />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function XComList({ dagId, runId, taskId, mapIndex }: { dagId: string; runId: string; taskId: string; mapIndex: number }) {
  const base = `/api/v2/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}/xcomEntries`;
  const list = useApi<{ xcom_entries: { key: string; timestamp: string }[] }>(`${base}?map_index=${mapIndex}`);
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <Loading />;
  if (!list.data.xcom_entries.length) return <p className="muted">No XCom pushed.</p>;
  return (
    <table className="table kv">
      <tbody>
        {list.data.xcom_entries.map((x) => (
          <tr key={x.key}>
            <th scope="row">{x.key}</th>
            <td>
              <XComValue url={`${base}/${enc(x.key)}?map_index=${mapIndex}`} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function XComValue({ url }: { url: string }) {
  const value = useApi<{ value: unknown }>(url);
  if (value.error) return <ErrorBox error={value.error} />;
  if (!value.data) return <Loading />;
  return <Json value={value.data.value} />;
}

function TiDetails({ ti, dependenciesUrl }: { ti: TaskInstance | undefined; dependenciesUrl: string }) {
  const [all, setAll] = useState(false);
  // the server's answer to "why is this task instance not running?" (Airflow's dependency names)
  const deps = useApi<{ dependencies: { name: string; reason: string }[] }>(ti ? dependenciesUrl : null, { pollMs: 3000, poll: !!ti && (!ti.state || ACTIVE_STATES.has(ti.state)) });
  if (!ti) return <p className="muted">The task has no instance in this run (it was added to the DAG after the run was created).</p>;
  const reasons = ti.state === 'running' ? [] : (deps.data?.dependencies ?? []);
  const times = new Set(['start_date', 'end_date', 'queued_when', 'scheduled_when', 'logical_date', 'run_after']);
  const entries = Object.entries(ti).filter(([k]) => k !== 'rendered_fields' && (all || !['dag_display_name', 'task_display_name', 'executor_config', 'unixname', 'trigger', 'triggerer_job', 'dag_version', 'rendered_map_index', 'executor', 'id'].includes(k)));
  return (
    <div>
      {reasons.length > 0 && (
        <section className="why" aria-label="Why is this task not running">
          <h3>Why is it not running?</h3>
          <ul>
            {reasons.map((r) => (
              <li key={r.name + r.reason}>
                <strong>{r.name}</strong>: {r.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      <table className="table kv">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{k === 'state' ? <StateBadge state={v as string} /> : times.has(k) ? <Time value={v as string} /> : k === 'duration' ? formatDuration(v as number) : v === null ? <span className="muted">–</span> : typeof v === 'object' ? <Json value={v} /> : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="link-button" onClick={() => setAll(!all)}>
        {all ? 'Fewer fields' : 'All fields'}
      </button>
    </div>
  );
}

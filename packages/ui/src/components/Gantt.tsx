/** Gantt: per task instance of a run, its queued and running time on a shared time axis. */
import { enc } from '../api.ts';
import { useApi } from '../hooks.ts';
import { navigate, withQuery } from '../router.tsx';
import { ACTIVE_STATES, stateColor } from '../states.ts';
import { formatDuration, formatIn, useTime } from '../time.tsx';
import { ErrorBox, Loading } from './common.tsx';
import { RunSelect } from './RunSelect.tsx';
import type { GridRun } from './Grid.tsx';

interface GanttTi {
  task_id: string;
  map_index: number;
  state: string | null;
  try_number: number;
  queued_when: string | null;
  start_date: string | null;
  end_date: string | null;
}

const ms = (v: string | null) => (v ? new Date(v).getTime() : null);

export function Gantt({ dagId, runs, runId }: { dagId: string; runs: GridRun[]; runId: string | null }) {
  const run = runs.find((r) => r.dag_run_id === runId);
  const tis = useApi<{ task_instances: GanttTi[] }>(runId ? `/ui/dags/${enc(dagId)}/dagRuns/${enc(runId)}/states` : null, { pollMs: 2000, poll: !!run && ACTIVE_STATES.has(run.state) });
  const { zone } = useTime();
  if (!runId) return <p className="muted">No runs yet.</p>;
  const now = Date.now();
  const rows = (tis.data?.task_instances ?? []).filter((t) => t.start_date || t.queued_when).sort((a, b) => (ms(a.queued_when ?? a.start_date) ?? 0) - (ms(b.queued_when ?? b.start_date) ?? 0));
  const starts = rows.map((t) => ms(t.queued_when) ?? ms(t.start_date)!).filter((x) => x !== null);
  const ends = rows.map((t) => ms(t.end_date) ?? now);
  const t0 = Math.min(...starts, ms(run?.start_date ?? null) ?? Infinity);
  const t1 = Math.max(...ends, t0 + 1000);
  const span = t1 - t0;
  const pct = (t: number) => `${((t - t0) / span) * 100}%`;
  const ticks = Array.from({ length: 6 }, (_, i) => t0 + (span * i) / 5);
  return (
    <div className="gantt">
      <div className="graph-toolbar">
        <RunSelect runs={runs} runId={runId} tab="gantt" dagId={dagId} />
      </div>
      <ErrorBox error={tis.error} />
      {!tis.data && <Loading />}
      {tis.data && !rows.length && <p className="muted">No task instance of this run has started yet.</p>}
      {rows.length > 0 && (
        <div className="gantt-chart" role="table" aria-label="Gantt chart">
          <div className="gantt-row gantt-axis" role="row">
            <div className="gantt-name" role="columnheader">
              Task
            </div>
            <div className="gantt-track" role="columnheader">
              {ticks.map((t, i) => (
                <span key={i} className="gantt-tick" style={{ left: pct(t) }}>
                  {formatIn(zone, t, false).slice(11)}
                </span>
              ))}
            </div>
          </div>
          {rows.map((t) => {
            const q = ms(t.queued_when);
            const s = ms(t.start_date);
            const e = ms(t.end_date) ?? now;
            const name = t.map_index >= 0 ? `${t.task_id} [${t.map_index}]` : t.task_id;
            const title = `${name}: ${t.state ?? 'no status'}\nqueued ${q ? formatIn(zone, q) : '–'}\nstarted ${s ? formatIn(zone, s) : '–'}\nended ${t.end_date ? formatIn(zone, t.end_date) : '–'}\nran ${s ? formatDuration((e - s) / 1000) : '–'}`;
            return (
              <div key={`${t.task_id}:${t.map_index}`} className="gantt-row" role="row">
                <div className="gantt-name" role="cell">
                  <button type="button" className="link-button" onClick={() => navigate(withQuery({ run_id: runId, task_id: t.task_id }, `/dags/${enc(dagId)}/grid`))}>
                    {name}
                  </button>
                </div>
                <div className="gantt-track" role="cell" title={title}>
                  {q !== null && s !== null && s > q && <span className="gantt-bar queued" style={{ left: pct(q), width: pct(t0 + (s - q)) }} aria-label={`${name} queued`} />}
                  {s !== null && <span className="gantt-bar" data-state={t.state ?? 'none'} style={{ left: pct(s), width: `max(2px, ${pct(t0 + (e - s))})`, background: stateColor(t.state) }} aria-label={`${name} ${t.state}`} />}
                </div>
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

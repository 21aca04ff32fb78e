/** The run picker shared by the Graph and the Gantt, and the state colour legend. */
import { enc } from '../api.ts';
import { navigate, withQuery } from '../router.tsx';
import { stateColor } from '../states.ts';
import { useTime } from '../time.tsx';
import type { GridRun } from './Grid.tsx';

export function RunSelect({ runs, runId, tab, dagId }: { runs: GridRun[]; runId: string | null; tab: string; dagId: string }) {
  const { format } = useTime();
  if (!runs.length) return <span className="muted">No runs yet</span>;
  return (
    <label className="run-select">
      Run{' '}
      <select aria-label="Run" value={runId ?? ''} onChange={(e) => navigate(withQuery({ run_id: e.target.value, task_id: null }, `/dags/${enc(dagId)}/${tab}`))}>
        {[...runs].reverse().map((r) => (
          <option key={r.dag_run_id} value={r.dag_run_id}>
            {format(r.logical_date ?? r.run_after)} · {r.state} · {r.dag_run_id}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Legend() {
  return (
    <div className="legend" aria-label="States">
      {['success', 'running', 'failed', 'queued', 'scheduled', 'up_for_retry', 'upstream_failed', 'skipped'].map((s) => (
        <span key={s} className="legend-item">
          <span className="state-dot" style={{ background: stateColor(s) }} />
          {s}
        </span>
      ))}
    </div>
  );
}

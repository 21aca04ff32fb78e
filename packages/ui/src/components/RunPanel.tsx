/** A DAG run selected in the Grid: its details, conf and note, and Clear / Mark success / Mark failed for the whole run. */
import { useState } from 'react';
import { api, enc } from '../api.ts';
import { useApi } from '../hooks.ts';
import { ACTIVE_STATES } from '../states.ts';
import { formatDuration, Time } from '../time.tsx';
import { ErrorBox, Json, Loading, StateBadge } from './common.tsx';
import { ConfirmAffected, type AffectedTi } from './ConfirmAffected.tsx';
import type { DagRun } from './RunsTable.tsx';

function ClearRunDialog({ base, onClose, onDone }: { base: string; onClose(): void; onDone(): void }) {
  const [onlyFailed, setOnlyFailed] = useState(false);
  return (
    <ConfirmAffected
      title="Clear DAG run"
      preview={() => api<{ task_instances: AffectedTi[] }>('POST', `${base}/clear`, { dry_run: true, only_failed: onlyFailed }).then((r) => r.task_instances)}
      previewKey={String(onlyFailed)}
      apply={() => api('POST', `${base}/clear`, { dry_run: false, only_failed: onlyFailed })}
      verb="cleared and run again"
      onClose={onClose}
      onDone={onDone}
    >
      <label className="check">
        <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.target.checked)} /> Only failed tasks
      </label>
    </ConfirmAffected>
  );
}

export function RunPanel({ dagId, runId, onChanged, onClose }: { dagId: string; runId: string; onChanged(): void; onClose(): void }) {
  const base = `/api/v2/dags/${enc(dagId)}/dagRuns/${enc(runId)}`;
  const [polling, setPolling] = useState(true);
  const run = useApi<DagRun>(base, { pollMs: 2000, poll: polling });
  const active = !run.data || ACTIVE_STATES.has(run.data.state);
  if (active !== polling) setPolling(active);
  const [clearing, setClearing] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const patch = async (body: Record<string, unknown>) => {
    setError(null);
    try {
      await api('PATCH', base, body);
      run.reload();
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const r = run.data;
  return (
    <aside className="task-panel" aria-label={`DAG run ${runId}`}>
      <header className="panel-head">
        <div>
          <h2>Run</h2>
          <div className="muted small">
            {runId} {r && <StateBadge state={r.state} />}
          </div>
        </div>
        <button type="button" className="icon-button" aria-label="Close run panel" onClick={onClose}>
          ×
        </button>
      </header>
      <ErrorBox error={run.error ?? error} />
      {!r && !run.error && <Loading />}
      {r && (
        <>
          <div className="task-actions">
            <button type="button" onClick={() => setClearing(true)}>
              Clear
            </button>
            <button type="button" onClick={() => patch({ state: 'success' })} disabled={r.state === 'success'}>
              Mark success
            </button>
            <button type="button" className="danger-outline" onClick={() => patch({ state: 'failed' })} disabled={r.state === 'failed'}>
              Mark failed
            </button>
          </div>
          <table className="table kv">
            <tbody>
              <tr><th scope="row">run_type</th><td>{r.run_type}</td></tr>
              <tr><th scope="row">logical_date</th><td><Time value={r.logical_date} /></td></tr>
              <tr><th scope="row">start_date</th><td><Time value={r.start_date} /></td></tr>
              <tr><th scope="row">end_date</th><td><Time value={r.end_date} /></td></tr>
              <tr><th scope="row">duration</th><td>{formatDuration(r.duration)}</td></tr>
              <tr><th scope="row">triggered_by</th><td>{r.triggered_by ?? ''}</td></tr>
              <tr><th scope="row">conf</th><td><Json value={r.conf} /></td></tr>
            </tbody>
          </table>
          <div className="field">
            <label htmlFor="run-note">Note</label>
            <textarea id="run-note" rows={2} value={note ?? r.note ?? ''} onChange={(e) => setNote(e.target.value)} />
            <div>
              <button type="button" disabled={note === null || note === (r.note ?? '')} onClick={() => patch({ note }).then(() => setNote(null))}>
                Save note
              </button>
            </div>
          </div>
        </>
      )}
      {clearing && (
        <ClearRunDialog
          base={base}
          onClose={() => setClearing(false)}
          onDone={() => {
            setClearing(false);
            run.reload();
            onChanged();
          }}
        />
      )}
    </aside>
  );
}

/** Runs of a DAG: state, type, dates, duration, conf and note. */
import { enc, qs } from '../api.ts';
import { useApi } from '../hooks.ts';
import { Link } from '../router.tsx';
import { formatDuration, Time } from '../time.tsx';
import { ErrorBox, Loading, StateBadge } from './common.tsx';

export interface DagRun {
  dag_run_id: string;
  dag_id: string;
  state: string;
  run_type: string;
  logical_date: string | null;
  run_after: string;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  conf: Record<string, unknown>;
  note: string | null;
  triggered_by?: string | null;
}

export function RunRows({ runs, showDag = false }: { runs: DagRun[]; showDag?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            {showDag && <th>DAG</th>}
            <th>Run id</th>
            <th>State</th>
            <th>Type</th>
            <th>Logical date</th>
            <th>Start</th>
            <th>End</th>
            <th>Duration</th>
            <th>Conf</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={`${r.dag_id}/${r.dag_run_id}`}>
              {showDag && (
                <td>
                  <Link to={`/dags/${enc(r.dag_id)}/grid`}>{r.dag_id}</Link>
                </td>
              )}
              <td>
                <Link to={`/dags/${enc(r.dag_id)}/grid?run_id=${enc(r.dag_run_id)}`}>{r.dag_run_id}</Link>
              </td>
              <td>
                <StateBadge state={r.state} />
              </td>
              <td>{r.run_type}</td>
              <td>
                <Time value={r.logical_date} />
              </td>
              <td>
                <Time value={r.start_date} />
              </td>
              <td>
                <Time value={r.end_date} />
              </td>
              <td>{formatDuration(r.duration)}</td>
              <td>{r.conf && Object.keys(r.conf).length ? <code className="conf">{JSON.stringify(r.conf)}</code> : <span className="muted">{'{}'}</span>}</td>
              <td>{r.note ?? ''}</td>
            </tr>
          ))}
          {!runs.length && (
            <tr>
              <td colSpan={showDag ? 10 : 9} className="muted">
                No runs.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function RunsTable({ dagId }: { dagId: string }) {
  const runs = useApi<{ dag_runs: DagRun[]; total_entries: number }>(`/api/v2/dags/${enc(dagId)}/dagRuns${qs({ order_by: '-run_after', limit: 100 })}`, { pollMs: 5000 });
  if (runs.error) return <ErrorBox error={runs.error} />;
  if (!runs.data) return <Loading />;
  return <RunRows runs={runs.data.dag_runs} />;
}

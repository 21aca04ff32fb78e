/** The DAGs page: filters, the on/off switch, schedule, runs, and the Broken DAG banner. */
import { useEffect, useState } from 'react';
import { Icon } from '../components/icons.tsx';
import { api, enc, qs } from '../api.ts';
import { ErrorBox, Loading, Switch } from '../components/common.tsx';
import { ImportErrorsBanner } from '../components/ImportErrorsBanner.tsx';
import { TriggerDialog } from '../components/TriggerDialog.tsx';
import { useApi } from '../hooks.ts';
import { Link, navigate, withQuery } from '../router.tsx';
import { stateColor } from '../states.ts';
import { Time, useTime } from '../time.tsx';

export interface Dag {
  dag_id: string;
  is_paused: boolean;
  description: string | null;
  owners: string[];
  tags: { name: string }[];
  timetable_summary: string | null;
  timetable_description: string | null;
  next_dagrun_logical_date: string | null;
  next_dagrun_run_after: string | null;
  fileloc: string;
  relative_fileloc: string;
  has_import_errors: boolean;
}

interface RecentRun {
  dag_run_id: string;
  state: string;
  run_type: string;
  logical_date: string | null;
  run_after: string;
  start_date: string | null;
}

const PAGE = 50;

export function DagList({ query }: { query: URLSearchParams }) {
  const search = query.get('search') ?? '';
  const tag = query.get('tag') ?? '';
  const status = query.get('status') ?? 'all';
  const offset = Number(query.get('offset') ?? 0);
  const [text, setText] = useState(search);
  useEffect(() => setText(search), [search]);
  // search as you type, without a request per keystroke
  useEffect(() => {
    if (text === search) return;
    const t = setTimeout(() => navigate(withQuery({ search: text || null, offset: null }), { replace: true }), 250);
    return () => clearTimeout(t);
  }, [text, search]);

  const url = `/api/v2/dags${qs({ limit: PAGE, offset, dag_id_pattern: search ? `%${search}%` : null, tags: tag || null, paused: status === 'all' ? null : status === 'paused' })}`;
  const dags = useApi<{ dags: Dag[]; total_entries: number }>(url, { pollMs: 10_000 });
  const ids = dags.data?.dags.map((d) => d.dag_id) ?? [];
  const recent = useApi<{ dag_runs: Record<string, RecentRun[]> }>(ids.length ? `/ui/dags/recent_runs${qs({ dag_ids: ids.join(','), limit: 10 })}` : null, { pollMs: 5000 });
  const allTags = useApi<{ tags: string[] }>('/api/v2/dagTags');
  const tagNames = allTags.data?.tags ?? [...new Set((dags.data?.dags ?? []).flatMap((d) => d.tags.map((t) => t.name)))].sort();
  const [trigger, setTrigger] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const setPaused = async (dag: Dag, paused: boolean) => {
    setActionError(null);
    try {
      await api('PATCH', `/api/v2/dags/${enc(dag.dag_id)}`, { is_paused: paused });
      dags.reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  const remove = async (dag: Dag) => {
    if (!confirm(`Delete DAG ${dag.dag_id} and all its runs, task instances and logs metadata? The file stays; it is parsed again unless removed.`)) return;
    setActionError(null);
    try {
      await api('DELETE', `/api/v2/dags/${enc(dag.dag_id)}`);
      dags.reload();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };

  return (
    <section className="page">
      <ImportErrorsBanner />
      <div className="page-head">
        <h1>DAGs</h1>
        <div className="filters">
          <div className="segmented" role="group" aria-label="Show">
            {['all', 'active', 'paused'].map((s) => (
              <button key={s} type="button" aria-pressed={status === s} onClick={() => navigate(withQuery({ status: s === 'all' ? null : s, offset: null }))}>
                {s[0].toUpperCase() + s.slice(1)}
              </button>
            ))}
          </div>
          <input type="search" aria-label="Search DAGs" placeholder="Search DAGs" value={text} onChange={(e) => setText(e.target.value)} />
          <select aria-label="Filter by tag" value={tag} onChange={(e) => navigate(withQuery({ tag: e.target.value || null, offset: null }))}>
            <option value="">All tags</option>
            {tagNames.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorBox error={dags.error ?? actionError} />
      {!dags.data && dags.loading && <Loading />}
      {dags.data && (
        <div className="table-wrap">
          <table className="table dag-table">
            <thead>
              <tr>
                <th aria-label="On/off" />
                <th>DAG</th>
                <th>Owner</th>
                <th>Runs</th>
                <th>Schedule</th>
                <th>Last run</th>
                <th>Next run</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {dags.data.dags.map((d) => {
                const runs = recent.data?.dag_runs[d.dag_id] ?? [];
                const last = runs[runs.length - 1];
                return (
                  <tr key={d.dag_id} data-dag-id={d.dag_id}>
                    <td>
                      <Switch checked={!d.is_paused} label={`${d.is_paused ? 'Unpause' : 'Pause'} ${d.dag_id}`} onChange={(on) => setPaused(d, !on)} />
                    </td>
                    <td>
                      <Link to={`/dags/${enc(d.dag_id)}/grid`} className="dag-link">
                        {d.dag_id}
                      </Link>
                      {d.has_import_errors && <span className="tag danger">import error</span>}
                      <div className="tags">
                        {d.tags.map((t) => (
                          <button type="button" key={t.name} className="tag" onClick={() => navigate(withQuery({ tag: t.name, offset: null }))}>
                            {t.name}
                          </button>
                        ))}
                      </div>
                    </td>
                    <td>{d.owners.join(', ')}</td>
                    <td>
                      <RecentRuns dagId={d.dag_id} runs={runs} />
                    </td>
                    <td>
                      <Schedule dag={d} />
                    </td>
                    <td>{last ? <Link to={`/dags/${enc(d.dag_id)}/grid?run_id=${enc(last.dag_run_id)}`}><Time value={last.logical_date ?? last.run_after} /></Link> : <span className="muted">–</span>}</td>
                    <td>
                      <Time value={d.next_dagrun_run_after ?? d.next_dagrun_logical_date} />
                    </td>
                    <td className="actions">
                      <button type="button" className="icon-button" aria-label={`Trigger ${d.dag_id}`} title="Trigger DAG" onClick={() => setTrigger(d.dag_id)}>
                        <Icon name="play" />
                      </button>
                      <button type="button" className="icon-button danger" aria-label={`Delete ${d.dag_id}`} title="Delete DAG" onClick={() => remove(d)}>
                        <Icon name="trash" />
                      </button>
                    </td>
                  </tr>
                );
              })}
              {!dags.data.dags.length && (
                <tr>
                  <td colSpan={8} className="muted">
                    No DAGs match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {dags.data && dags.data.total_entries > PAGE && <Pager offset={offset} total={dags.data.total_entries} page={PAGE} />}
      {trigger && (
        <TriggerDialog
          dagId={trigger}
          onClose={() => setTrigger(null)}
          onTriggered={(runId) => {
            setTrigger(null);
            navigate(`/dags/${enc(trigger)}/grid?run_id=${enc(runId)}`);
          }}
        />
      )}
    </section>
  );
}

export function Pager({ offset, total, page }: { offset: number; total: number; page: number }) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={offset <= 0} onClick={() => navigate(withQuery({ offset: Math.max(0, offset - page) || null }))}>
        ‹ Previous
      </button>
      <span>
        {offset + 1}–{Math.min(total, offset + page)} of {total}
      </span>
      <button type="button" disabled={offset + page >= total} onClick={() => navigate(withQuery({ offset: offset + page }))}>
        Next ›
      </button>
    </nav>
  );
}

export function Schedule({ dag }: { dag: Pick<Dag, 'timetable_summary' | 'timetable_description'> }) {
  if (!dag.timetable_summary) return <span className="muted">None</span>;
  return (
    <div className="schedule">
      <div>{dag.timetable_description ?? dag.timetable_summary}</div>
      {dag.timetable_description && dag.timetable_description !== dag.timetable_summary && <code>{dag.timetable_summary}</code>}
    </div>
  );
}

function RecentRuns({ dagId, runs }: { dagId: string; runs: RecentRun[] }) {
  const { format } = useTime();
  return (
    <div className="recent-runs" aria-label={`Recent runs of ${dagId}`}>
      {runs.map((r) => (
        <Link
          key={r.dag_run_id}
          to={`/dags/${enc(dagId)}/grid?run_id=${enc(r.dag_run_id)}`}
          className="run-mark"
          data-state={r.state}
          style={{ background: stateColor(r.state) }}
          title={`${r.state} · ${r.run_type} · ${format(r.logical_date ?? r.run_after)}`}
          aria-label={`Run ${r.dag_run_id}: ${r.state}`}
        />
      ))}
    </div>
  );
}

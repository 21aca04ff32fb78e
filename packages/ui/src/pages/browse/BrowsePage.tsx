/** Browse: DAG runs, task instances, the audit log and import errors across all DAGs, with filters in the URL. */
import { enc, qs } from '../../api.ts';
import { ErrorBox, Loading, StateBadge } from '../../components/common.tsx';
import type { ImportError } from '../../components/ImportErrorsBanner.tsx';
import { RunRows, type DagRun } from '../../components/RunsTable.tsx';
import type { TaskInstance } from '../../components/TaskPanel.tsx';
import { useApi } from '../../hooks.ts';
import { Link, navigate, withQuery } from '../../router.tsx';
import { TI_STATES } from '../../states.ts';
import { formatDuration, Time } from '../../time.tsx';
import { Pager } from '../DagList.tsx';

const PAGE = 50;
/** a filter box's text as a "contains" pattern for the API's *_pattern parameters */
const contains = (v: string | null) => (v ? `%${v}%` : null);

function Filters({ query, fields }: { query: URLSearchParams; fields: { name: string; label: string; options?: readonly string[] }[] }) {
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
      {fields.map((f) =>
        f.options ? (
          <select key={f.name} aria-label={f.label} value={query.get(f.name) ?? ''} onChange={(e) => navigate(withQuery({ [f.name]: e.target.value || null, offset: null }), { replace: true })}>
            <option value="">{f.label}: any</option>
            {f.options.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        ) : (
          <input key={f.name} type="search" aria-label={f.label} placeholder={f.label} defaultValue={query.get(f.name) ?? ''} onChange={(e) => navigate(withQuery({ [f.name]: e.target.value || null, offset: null }), { replace: true })} />
        ),
      )}
    </form>
  );
}

function DagRunsBrowse({ query }: { query: URLSearchParams }) {
  const offset = Number(query.get('offset') ?? 0);
  const runs = useApi<{ dag_runs: DagRun[]; total_entries: number }>(`/api/v2/dags/~/dagRuns${qs({ limit: PAGE, offset, order_by: '-run_after', state: query.get('state'), dag_id_pattern: contains(query.get('dag_id')) })}`, { pollMs: 5000 });
  return (
    <>
      <Filters query={query} fields={[{ name: 'dag_id', label: 'DAG id' }, { name: 'state', label: 'State', options: ['queued', 'running', 'success', 'failed'] }]} />
      <ErrorBox error={runs.error} />
      {!runs.data && !runs.error && <Loading />}
      {runs.data && <RunRows runs={runs.data.dag_runs} showDag />}
      {runs.data && runs.data.total_entries > PAGE && <Pager offset={offset} total={runs.data.total_entries} page={PAGE} />}
    </>
  );
}

function TaskInstancesBrowse({ query }: { query: URLSearchParams }) {
  const offset = Number(query.get('offset') ?? 0);
  const tis = useApi<{ task_instances: TaskInstance[]; total_entries: number }>(
    `/api/v2/dags/~/dagRuns/~/taskInstances${qs({ limit: PAGE, offset, state: query.get('state'), dag_id_pattern: contains(query.get('dag_id')), task_display_name_pattern: contains(query.get('task_id')), order_by: '-start_date' })}`,
    { pollMs: 5000 },
  );
  return (
    <>
      <Filters query={query} fields={[{ name: 'dag_id', label: 'DAG id' }, { name: 'task_id', label: 'Task id' }, { name: 'state', label: 'State', options: TI_STATES.filter((s) => s !== 'none') }]} />
      <ErrorBox error={tis.error} />
      {!tis.data && !tis.error && <Loading />}
      {tis.data && (
        <div className="table-wrap">
          <table className="table" aria-label="Task instances">
            <thead>
              <tr>
                <th>DAG</th>
                <th>Run</th>
                <th>Task</th>
                <th>State</th>
                <th>Try</th>
                <th>Start</th>
                <th>End</th>
                <th>Duration</th>
                <th>Operator</th>
              </tr>
            </thead>
            <tbody>
              {tis.data.task_instances.map((t) => (
                <tr key={`${t.dag_id}/${t.dag_run_id}/${t.task_id}/${t.map_index}`}>
                  <td>
                    <Link to={`/dags/${enc(t.dag_id)}/grid`}>{t.dag_id}</Link>
                  </td>
                  <td>{t.dag_run_id}</td>
                  <td>
                    <Link to={`/dags/${enc(t.dag_id)}/grid?run_id=${enc(t.dag_run_id)}&task_id=${enc(t.task_id)}`}>
                      {t.task_id}
                      {t.map_index >= 0 ? `[${t.map_index}]` : ''}
                    </Link>
                  </td>
                  <td>
                    <StateBadge state={t.state} />
                  </td>
                  <td>{t.try_number}</td>
                  <td>
                    <Time value={t.start_date} />
                  </td>
                  <td>
                    <Time value={t.end_date} />
                  </td>
                  <td>{formatDuration(t.duration)}</td>
                  <td>{t.operator}</td>
                </tr>
              ))}
              {!tis.data.task_instances.length && (
                <tr>
                  <td colSpan={9} className="muted">
                    No task instances match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {tis.data && tis.data.total_entries > PAGE && <Pager offset={offset} total={tis.data.total_entries} page={PAGE} />}
    </>
  );
}

interface EventLog {
  event_log_id: number;
  when: string;
  dag_id: string | null;
  task_id: string | null;
  run_id: string | null;
  event: string;
  owner: string | null;
  extra: string | null;
}

function AuditLogBrowse({ query }: { query: URLSearchParams }) {
  const offset = Number(query.get('offset') ?? 0);
  const logs = useApi<{ event_logs: EventLog[]; total_entries: number }>(
    `/api/v2/eventLogs${qs({ limit: PAGE, offset, order_by: '-when', dag_id_pattern: contains(query.get('dag_id')), event_pattern: contains(query.get('event')), owner_pattern: contains(query.get('owner')) })}`,
  );
  return (
    <>
      <Filters query={query} fields={[{ name: 'dag_id', label: 'DAG id' }, { name: 'event', label: 'Event' }, { name: 'owner', label: 'User' }]} />
      <ErrorBox error={logs.error} />
      {!logs.data && !logs.error && <Loading />}
      {logs.data && (
        <div className="table-wrap">
          <table className="table" aria-label="Audit log">
            <thead>
              <tr>
                <th>When</th>
                <th>Event</th>
                <th>User</th>
                <th>DAG</th>
                <th>Run</th>
                <th>Task</th>
                <th>Extra</th>
              </tr>
            </thead>
            <tbody>
              {logs.data.event_logs.map((e) => (
                <tr key={e.event_log_id}>
                  <td>
                    <Time value={e.when} />
                  </td>
                  <td>{e.event}</td>
                  <td>{e.owner ?? ''}</td>
                  <td>{e.dag_id ?? ''}</td>
                  <td>{e.run_id ?? ''}</td>
                  <td>{e.task_id ?? ''}</td>
                  <td>
                    <code className="conf">{e.extra ?? ''}</code>
                  </td>
                </tr>
              ))}
              {!logs.data.event_logs.length && (
                <tr>
                  <td colSpan={7} className="muted">
                    No events match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {logs.data && logs.data.total_entries > PAGE && <Pager offset={offset} total={logs.data.total_entries} page={PAGE} />}
    </>
  );
}

function ImportErrorsBrowse() {
  const errors = useApi<{ import_errors: ImportError[] }>('/api/v2/importErrors?limit=100', { pollMs: 10_000 });
  if (errors.error) return <ErrorBox error={errors.error} />;
  if (!errors.data) return <Loading />;
  if (!errors.data.import_errors.length) return <p className="muted">No import errors: every DAG file parses.</p>;
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Import errors">
        <thead>
          <tr>
            <th>File</th>
            <th>When</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {errors.data.import_errors.map((e) => (
            <tr key={e.import_error_id}>
              <td>
                <code>{e.filename}</code>
              </td>
              <td>
                <Time value={e.timestamp} />
              </td>
              <td>
                <pre className="stack">{e.stack_trace}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const TITLES: Record<string, string> = { 'dag-runs': 'DAG Runs', 'task-instances': 'Task Instances', 'audit-log': 'Audit Log', 'import-errors': 'Import Errors' };

export function BrowsePage({ section, query }: { section: string; query: URLSearchParams }) {
  return (
    <section className="page">
      <div className="page-head">
        <h1>{TITLES[section] ?? section}</h1>
      </div>
      {section === 'dag-runs' && <DagRunsBrowse query={query} />}
      {section === 'task-instances' && <TaskInstancesBrowse query={query} />}
      {section === 'audit-log' && <AuditLogBrowse query={query} />}
      {section === 'import-errors' && <ImportErrorsBrowse />}
      {!TITLES[section] && <ErrorBox error={`No page ${section}`} />}
    </section>
  );
}

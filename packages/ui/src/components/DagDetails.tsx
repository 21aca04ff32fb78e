/** Details: the DAG's arguments, schedule, params, tags, owners and this file's import errors. */
import { enc } from '../api.ts';
import { useApi } from '../hooks.ts';
import { Time } from '../time.tsx';
import { ErrorBox, Json, Loading } from './common.tsx';
import { ImportErrorsBanner } from './ImportErrorsBanner.tsx';

const TIMES = new Set(['last_parsed_time', 'last_parsed', 'next_dagrun_logical_date', 'next_dagrun_data_interval_start', 'next_dagrun_data_interval_end', 'next_dagrun_run_after', 'start_date', 'end_date', 'last_expired']);

export function DagDetails({ dagId }: { dagId: string }) {
  const details = useApi<Record<string, unknown>>(`/api/v2/dags/${enc(dagId)}/details`);
  if (details.error) return <ErrorBox error={details.error} />;
  if (!details.data) return <Loading />;
  const d = details.data;
  const show = (k: string, v: unknown) => {
    if (v === null || v === undefined || v === '') return <span className="muted">–</span>;
    if (TIMES.has(k) && typeof v === 'string') return <Time value={v} />;
    if (k === 'tags') return (v as { name: string }[]).map((t) => t.name).join(', ');
    if (k === 'owners') return (v as string[]).join(', ');
    if (typeof v === 'object') return <Json value={v} />;
    return String(v);
  };
  const order = ['dag_id', 'description', 'timetable_summary', 'timetable_description', 'timezone', 'start_date', 'end_date', 'catchup', 'is_paused', 'owners', 'tags', 'max_active_runs', 'max_active_tasks', 'dag_run_timeout', 'fileloc', 'last_parsed_time', 'next_dagrun_logical_date', 'next_dagrun_run_after', 'params', 'default_args', 'doc_md', 'render_template_as_native_obj', 'is_paused_upon_creation', 'template_search_path'];
  const keys = [...order.filter((k) => k in d), ...Object.keys(d).filter((k) => !order.includes(k))];
  return (
    <div className="details">
      <ImportErrorsBanner filename={d.fileloc as string} />
      <div className="table-wrap">
      <table className="table kv">
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{show(k, d[k])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </div>
  );
}

/** "Broken DAG" banner: each file that failed to import, with its message and stack trace. */
import { useApi } from '../hooks.ts';
import { Time } from '../time.tsx';

export interface ImportError {
  import_error_id: number;
  timestamp: string;
  filename: string;
  stack_trace: string;
}

export function ImportErrorsBanner({ filename }: { filename?: string }) {
  const errors = useApi<{ import_errors: ImportError[]; total_entries: number }>('/api/v2/importErrors?limit=100', { pollMs: 10_000 });
  const list = (errors.data?.import_errors ?? []).filter((e) => !filename || e.filename === filename);
  if (!list.length) return null;
  return (
    <section className="broken-dags" role="alert" aria-label="Broken DAGs">
      <h2>
        Broken DAG{list.length > 1 ? 's' : ''} ({list.length})
      </h2>
      {list.map((e) => (
        <details key={e.import_error_id} className="broken-dag">
          <summary>
            <code>{e.filename}</code>: {e.stack_trace.split('\n')[0]} <span className="muted">(<Time value={e.timestamp} />)</span>
          </summary>
          <pre>{e.stack_trace}</pre>
        </details>
      ))}
    </section>
  );
}

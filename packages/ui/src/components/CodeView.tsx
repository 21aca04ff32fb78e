/** Code: the DAG file's source, highlighted, and the parsed (serialized) DAG the scheduler uses. */
import { useState } from 'react';
import { enc } from '../api.ts';
import { CodeBlock } from '../highlight.tsx';
import { useApi } from '../hooks.ts';
import { ErrorBox, Loading } from './common.tsx';

export function CodeView({ dagId }: { dagId: string }) {
  const [view, setView] = useState<'source' | 'parsed'>('source');
  const source = useApi<{ content: string; version_number?: number | null }>(view === 'source' ? `/api/v2/dagSources/${enc(dagId)}` : null);
  const parsed = useApi<unknown>(view === 'parsed' ? `/ui/dags/${enc(dagId)}/serialized` : null);
  const current = view === 'source' ? source : parsed;
  return (
    <div className="code-view">
      <div className="segmented" role="group" aria-label="Code view">
        <button type="button" aria-pressed={view === 'source'} onClick={() => setView('source')}>
          Source
        </button>
        <button type="button" aria-pressed={view === 'parsed'} onClick={() => setView('parsed')}>
          Parsed DAG
        </button>
      </div>
      <ErrorBox error={current.error} />
      {!current.data && !current.error && <Loading />}
      {view === 'source' && source.data && <CodeBlock label="DAG source" code={source.data.content} />}
      {view === 'parsed' && parsed.data !== null && <CodeBlock label="Parsed DAG" code={JSON.stringify(parsed.data, null, 2)} />}
    </div>
  );
}

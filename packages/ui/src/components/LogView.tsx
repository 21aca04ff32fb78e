/**
 * A task try's log: read over SSE from the api-server, so a running try's
 * lines appear as they are written. Follows the end unless the user scrolls
 * up (or pauses); levels coloured; wrap toggle; download.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { enc, session } from '../api.ts';
import { formatIn, useTime } from '../time.tsx';

const LINE = /^\[([^\]]+)\] \{([^}]*)\} (\w+) - (.*)$/;
/** lines kept in the page: a huge log stays scrollable (the download has every line) */
const MAX_SHOWN = 5000;

/** One log line, its level coloured and its timestamp shown in the chosen time zone (the file keeps UTC). */
function LogLine({ line }: { line: string }) {
  const { zone } = useTime();
  const m = LINE.exec(line);
  if (!m) return <div className="log-line">{line}</div>;
  const when = new Date(m[1]);
  return (
    <div className={`log-line level-${m[3].toLowerCase()}`}>
      [{Number.isNaN(when.getTime()) ? m[1] : <time dateTime={m[1]}>{formatIn(zone, when, true, true)}</time>}] {`{${m[2]}}`} {m[3]} - {m[4]}
    </div>
  );
}

/** Reads an SSE response body and calls back per event. */
async function readEvents(res: Response, onEvent: (event: string, data: unknown) => void) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let sep;
    while ((sep = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep + 2);
      let event = 'message';
      let data = '';
      for (const l of block.split('\n')) {
        if (l.startsWith('event: ')) event = l.slice(7);
        else if (l.startsWith('data: ')) data += l.slice(6);
      }
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

export function LogView({ dagId, runId, taskId, tryNumber, mapIndex }: { dagId: string; runId: string; taskId: string; tryNumber: number; mapIndex: number }) {
  const [lines, setLines] = useState<string[]>([]);
  const [status, setStatus] = useState<'loading' | 'live' | 'done' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [wrap, setWrap] = useState(true);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    setLines([]);
    setStatus('loading');
    setError(null);
    const url = `/ui/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}/logs/${tryNumber}/stream?map_index=${mapIndex}`;
    (async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${session.token() ?? ''}` }, signal: ctrl.signal });
      if (res.status === 401) return session.end('Your session has expired. Please log in again.');
      if (!res.ok) throw new Error(((await res.json().catch(() => ({}))) as { detail?: string }).detail ?? `Log request failed (${res.status})`);
      setStatus('live');
      await readEvents(res, (event, data) => {
        if (event === 'lines') setLines((l) => l.concat(data as string[]));
        else if (event === 'end') setStatus('done');
        else if (event === 'error') throw new Error((data as { detail: string }).detail);
      });
      setStatus((s) => (s === 'live' ? 'done' : s));
    })().catch((e: Error) => {
      if (e.name === 'AbortError') return;
      setError(e.message);
      setStatus('error');
    });
    return () => ctrl.abort();
  }, [dagId, runId, taskId, tryNumber, mapIndex]);

  useLayoutEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (!atEnd && follow) setFollow(false);
    else if (atEnd && !follow) setFollow(true);
  };

  const download = () => {
    const blob = new Blob([lines.join('\n') + '\n'], { type: 'text/plain' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${dagId}__${runId}__${taskId}${mapIndex >= 0 ? `__${mapIndex}` : ''}__attempt=${tryNumber}.log`.replace(/[^\w.=-]+/g, '_');
    a.click();
    URL.revokeObjectURL(a.href);
  };

  return (
    <div className="log-view">
      <div className="log-toolbar">
        <span className={`log-status ${status}`} role="status">
          {status === 'live' ? '● live' : status === 'done' ? `${lines.length} lines` : status === 'loading' ? 'Loading…' : 'Error'}
        </span>
        <label>
          <input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.target.checked)} /> Wrap
        </label>
        <button type="button" aria-pressed={follow} onClick={() => setFollow(!follow)} title="Keep the newest line in view">
          {follow ? 'Pause scroll' : 'Follow'}
        </button>
        <button type="button" onClick={download} disabled={!lines.length}>
          Download
        </button>
      </div>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      <pre ref={box} className={wrap ? 'log-lines wrap' : 'log-lines'} onScroll={onScroll} tabIndex={0} aria-label="Task log">
        {lines.length > MAX_SHOWN && <div className="muted">… {lines.length - MAX_SHOWN} earlier lines not shown: Download has them all</div>}
        {lines.slice(-MAX_SHOWN).map((l, i) => (
          <LogLine key={lines.length > MAX_SHOWN ? i + lines.length - MAX_SHOWN : i} line={l} />
        ))}
        {status === 'done' && !lines.length && <div className="muted">(this try wrote no log lines)</div>}
      </pre>
    </div>
  );
}

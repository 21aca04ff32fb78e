/**
 * Trigger DAG: a form built from the DAG's params (type, enum, default,
 * description) and the JSON conf it produces, editable directly; invalid JSON
 * is refused before anything is sent. Optional logical date and run id.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api, enc } from '../api.ts';
import { useApi } from '../hooks.ts';
import { useTime, zonedToUtc } from '../time.tsx';
import { ErrorBox, Loading, Modal } from './common.tsx';

interface Param {
  value: unknown;
  description: string | null;
  schema: Record<string, unknown>;
}

/** the JSON-schema type of a param, from its schema or its default */
function paramType(p: Param): string {
  const t = p.schema.type;
  const first = Array.isArray(t) ? t.find((x) => x !== 'null') : t;
  if (typeof first === 'string') return first;
  if (typeof p.value === 'number') return Number.isInteger(p.value) ? 'integer' : 'number';
  if (typeof p.value === 'boolean') return 'boolean';
  if (Array.isArray(p.value)) return 'array';
  if (p.value && typeof p.value === 'object') return 'object';
  return 'string';
}

function ParamField({ name, param, value, onChange }: { name: string; param: Param; value: unknown; onChange(v: unknown): void }) {
  const type = paramType(param);
  const id = `param-${name}`;
  const options = Array.isArray(param.schema.enum) ? (param.schema.enum as unknown[]) : null;
  let input;
  if (options) {
    input = (
      <select id={id} value={JSON.stringify(value)} onChange={(e) => onChange(JSON.parse(e.target.value))}>
        {options.map((o) => (
          <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (type === 'boolean') {
    input = <input id={id} type="checkbox" checked={!!value} onChange={(e) => onChange(e.target.checked)} />;
  } else if (type === 'integer' || type === 'number') {
    input = <input id={id} type="number" step={type === 'integer' ? 1 : 'any'} value={value === null || value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))} />;
  } else if (type === 'array' || type === 'object') {
    input = <JsonInput id={id} value={value} onChange={onChange} />;
  } else {
    input = <input id={id} type="text" value={value === null || value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value)} />;
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {name} <span className="muted">({type})</span>
      </label>
      {input}
      {param.description && <div className="hint">{param.description}</div>}
    </div>
  );
}

function JsonInput({ id, value, onChange }: { id: string; value: unknown; onChange(v: unknown): void }) {
  const [text, setText] = useState(JSON.stringify(value));
  const [bad, setBad] = useState(false);
  return (
    <input
      id={id}
      className={bad ? 'invalid' : ''}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        try {
          onChange(JSON.parse(e.target.value));
          setBad(false);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}

export function parseConf(text: string): { conf: Record<string, unknown> | null; error: string | null } {
  if (!text.trim()) return { conf: {}, error: null };
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { conf: null, error: 'The configuration must be a JSON object: {"key": "value"}' };
    return { conf: v, error: null };
  } catch (e) {
    return { conf: null, error: `Invalid JSON: ${(e as Error).message}` };
  }
}

export function TriggerDialog({ dagId, onClose, onTriggered }: { dagId: string; onClose(): void; onTriggered(runId: string): void }) {
  const details = useApi<{ params: Record<string, Param> }>(`/api/v2/dags/${enc(dagId)}/details`);
  const params = useMemo(() => details.data?.params ?? {}, [details.data]);
  // null until edited: the form starts from the params' defaults
  const [edited, setConfText] = useState<string | null>(null);
  const confText = edited ?? JSON.stringify(Object.fromEntries(Object.entries(params).map(([k, p]) => [k, p.value])), null, 2);
  const [logicalDate, setLogicalDate] = useState('');
  const [runId, setRunId] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { zone } = useTime();

  const parsed = parseConf(confText);
  const setParam = (name: string, v: unknown) => {
    if (!parsed.conf) return;
    setConfText(JSON.stringify({ ...parsed.conf, [name]: v }, null, 2));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (parsed.error) return;
    setBusy(true);
    setError(null);
    try {
      const run = await api<{ dag_run_id: string }>('POST', `/api/v2/dags/${enc(dagId)}/dagRuns`, {
        logical_date: logicalDate ? zonedToUtc(logicalDate, zone).toISOString() : null,
        dag_run_id: runId.trim() || undefined,
        conf: parsed.conf,
        note: note.trim() || undefined,
      });
      onTriggered(run.dag_run_id);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const names = Object.keys(params);
  return (
    <Modal title={`Trigger DAG: ${dagId}`} onClose={onClose} wide>
      {details.loading && !details.data ? (
        <Loading />
      ) : (
        <form className="trigger-form" onSubmit={submit}>
          {names.length > 0 && parsed.conf && (
            <fieldset>
              <legend>Parameters</legend>
              {names.map((n) => (
                <ParamField key={n} name={n} param={params[n]} value={parsed.conf![n]} onChange={(v) => setParam(n, v)} />
              ))}
            </fieldset>
          )}
          <div className="field">
            <label htmlFor="trigger-conf">Configuration JSON (dag_run.conf)</label>
            <textarea id="trigger-conf" className={parsed.error ? 'code-input invalid' : 'code-input'} rows={8} spellCheck={false} value={confText} onChange={(e) => setConfText(e.target.value)} aria-invalid={!!parsed.error} />
            {parsed.error && (
              <div className="field-error" role="alert">
                {parsed.error}
              </div>
            )}
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="trigger-date">Logical date ({zone}, optional)</label>
              <input id="trigger-date" type="datetime-local" step={1} value={logicalDate} onChange={(e) => setLogicalDate(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="trigger-run-id">Run id (optional)</label>
              <input id="trigger-run-id" value={runId} placeholder="manual__<date>" onChange={(e) => setRunId(e.target.value)} />
            </div>
          </div>
          <div className="field">
            <label htmlFor="trigger-note">Note (optional)</label>
            <input id="trigger-note" value={note} onChange={(e) => setNote(e.target.value)} />
          </div>
          <ErrorBox error={error ?? details.error} />
          <div className="dialog-actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy || !!parsed.error}>
              {busy ? 'Triggering…' : 'Trigger'}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/**
 * A list of API resources with search, paging, and create / edit / delete in
 * a dialog: Variables, Connections, Pools and Users are all this shape.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { Icon } from './icons.tsx';
import { api, enc, qs } from '../api.ts';
import { useApi } from '../hooks.ts';
import { ErrorBox, Loading, Modal } from './common.tsx';

export interface Field {
  name: string;
  label?: string;
  type?: 'text' | 'password' | 'number' | 'textarea' | 'select' | 'checkbox';
  options?: string[];
  required?: boolean;
  /** only when creating (the id of the resource) */
  createOnly?: boolean;
  hint?: string;
  /** value in the form of a new resource */
  initial?: unknown;
}

export interface ResourceSpec<T> {
  title: string;
  /** collection URL, e.g. /api/v2/variables */
  url: string;
  /** key of the list in the answer, e.g. "variables" */
  listKey: string;
  idField: keyof T & string;
  /** query parameter that searches, e.g. variable_key_pattern */
  searchParam?: string;
  columns: { label: string; render(row: T): ReactNode }[];
  fields: Field[];
  /** the form's starting values for an existing row (default: the row's fields of the same names) */
  toForm?(row: T): Record<string, unknown>;
  /** fields an update changes (the update_mask query), when not all of them */
  updateMask?(values: Record<string, unknown>): string[] | null;
  /** body sent on create and update, from the form's values */
  toBody?(values: Record<string, unknown>, creating: boolean): Record<string, unknown>;
  extraActions?(reload: () => void): ReactNode;
  emptyText?: string;
}

const PAGE = 50;

function ResourceForm<T>({ spec, row, onClose, onSaved }: { spec: ResourceSpec<T>; row: T | null; onClose(): void; onSaved(): void }) {
  const creating = row === null;
  const [values, setValues] = useState<Record<string, unknown>>(() => {
    const source = row ? (spec.toForm?.(row) ?? (row as Record<string, unknown>)) : {};
    const empty = (f: Field) => f.initial ?? (f.type === 'checkbox' ? false : f.type === 'select' ? f.options![0] : '');
    return Object.fromEntries(spec.fields.map((f) => [f.name, source[f.name] ?? empty(f)]));
  });
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const cleaned = Object.fromEntries(
      Object.entries(values).map(([k, v]) => {
        const f = spec.fields.find((x) => x.name === k)!;
        if (f.type === 'number') return [k, v === '' || v === null ? null : Number(v)];
        return [k, v === '' && !f.required ? null : v];
      }),
    );
    const body = spec.toBody ? spec.toBody(cleaned, creating) : cleaned;
    try {
      if (creating) await api('POST', spec.url, body);
      else {
        const mask = spec.updateMask?.(cleaned);
        await api('PATCH', `${spec.url}/${enc(String((row as Record<string, unknown>)[spec.idField]))}${mask ? qs({ update_mask: mask.join(',') }) : ''}`, body);
      }
      onSaved();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <Modal title={`${creating ? 'Add' : 'Edit'} ${spec.title.replace(/s$/, '').toLowerCase()}`} onClose={onClose}>
      <form className="resource-form" onSubmit={submit}>
        {spec.fields.map((f) => {
          const id = `field-${f.name}`;
          const disabled = !creating && (f.createOnly || f.name === spec.idField);
          const v = values[f.name];
          const set = (x: unknown) => setValues({ ...values, [f.name]: x });
          let input;
          if (f.type === 'textarea') input = <textarea id={id} rows={4} value={String(v ?? '')} onChange={(e) => set(e.target.value)} disabled={disabled} required={f.required} />;
          else if (f.type === 'select')
            input = (
              <select id={id} value={String(v ?? '')} onChange={(e) => set(e.target.value)} disabled={disabled}>
                {f.options!.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            );
          else if (f.type === 'checkbox') input = <input id={id} type="checkbox" checked={!!v} onChange={(e) => set(e.target.checked)} disabled={disabled} />;
          else input = <input id={id} type={f.type ?? 'text'} value={String(v ?? '')} onChange={(e) => set(e.target.value)} disabled={disabled} required={f.required} autoComplete="off" />;
          return (
            <div className="field" key={f.name}>
              <label htmlFor={id}>{f.label ?? f.name}</label>
              {input}
              {f.hint && <div className="hint">{f.hint}</div>}
            </div>
          );
        })}
        <ErrorBox error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function ResourcePage<T>({ spec }: { spec: ResourceSpec<T> }) {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const url = `${spec.url}${qs({ limit: PAGE, offset, [spec.searchParam ?? '_']: spec.searchParam && search ? `%${search}%` : null })}`;
  const list = useApi<Record<string, unknown>>(url);
  const rows = (list.data?.[spec.listKey] as T[] | undefined) ?? [];
  const total = (list.data?.total_entries as number | undefined) ?? rows.length;
  const [editing, setEditing] = useState<T | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const remove = async (row: T) => {
    const id = String((row as Record<string, unknown>)[spec.idField]);
    if (!confirm(`Delete ${id}?`)) return;
    try {
      await api('DELETE', `${spec.url}/${enc(id)}`);
      list.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section className="page">
      <div className="page-head">
        <h1>{spec.title}</h1>
        <div className="filters">
          {spec.searchParam && <input type="search" aria-label={`Search ${spec.title}`} placeholder="Search" value={search} onChange={(e) => (setSearch(e.target.value), setOffset(0))} />}
          {spec.extraActions?.(list.reload)}
          <button type="button" className="primary" onClick={() => setEditing(null)}>
            + Add
          </button>
        </div>
      </div>
      <ErrorBox error={list.error ?? error} />
      {!list.data && !list.error && <Loading />}
      {list.data && (
        <div className="table-wrap">
          <table className="table" aria-label={spec.title}>
            <thead>
              <tr>
                {spec.columns.map((c) => (
                  <th key={c.label}>{c.label}</th>
                ))}
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={String((row as Record<string, unknown>)[spec.idField])}>
                  {spec.columns.map((c) => (
                    <td key={c.label}>{c.render(row)}</td>
                  ))}
                  <td className="actions">
                    <button type="button" className="icon-button" aria-label={`Edit ${String((row as Record<string, unknown>)[spec.idField])}`} onClick={() => setEditing(row)}>
                      <Icon name="edit" />
                    </button>
                    <button type="button" className="icon-button danger" aria-label={`Delete ${String((row as Record<string, unknown>)[spec.idField])}`} onClick={() => remove(row)}>
                      <Icon name="trash" />
                    </button>
                  </td>
                </tr>
              ))}
              {!rows.length && (
                <tr>
                  <td colSpan={spec.columns.length + 1} className="muted">
                    {spec.emptyText ?? 'Nothing here yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {total > PAGE && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            ‹ Previous
          </button>
          <span>
            {offset + 1}–{Math.min(total, offset + PAGE)} of {total}
          </span>
          <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            Next ›
          </button>
        </nav>
      )}
      {editing !== undefined && <ResourceForm spec={spec} row={editing} onClose={() => setEditing(undefined)} onSaved={() => (setEditing(undefined), list.reload())} />}
    </section>
  );
}

/** Admin → Variables, with Airflow's "Import Variables" from a JSON file and an export to one. */
import { useRef, useState } from 'react';
import { api, qs } from '../../api.ts';
import { ResourcePage, type ResourceSpec } from '../../components/ResourcePage.tsx';

interface Variable {
  key: string;
  value: string;
  description: string | null;
  is_encrypted: boolean;
}

/** {"key": value, …} → bulk create entities; non-string values are kept as their JSON text, as Airflow's import does */
export function variablesFromJson(text: string): { key: string; value: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`The file is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('The file must hold a JSON object: {"key": "value", …}');
  return Object.entries(parsed).map(([key, v]) => ({ key, value: typeof v === 'string' ? v : JSON.stringify(v) }));
}

function ImportExport({ reload }: { reload(): void }) {
  const input = useRef<HTMLInputElement>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const importFile = async (file: File) => {
    setMessage(null);
    try {
      const entities = variablesFromJson(await file.text());
      const result = await api<{ create: { success: string[]; errors: { error: string }[] } | null }>('PATCH', '/api/v2/variables', { actions: [{ action: 'create', entities, action_on_existence: 'overwrite' }] });
      const errors = result.create?.errors ?? [];
      if (errors.length) throw new Error(errors.map((e) => e.error).join('; '));
      setMessage({ ok: true, text: `Imported ${result.create?.success.length ?? 0} variable(s) from ${file.name}.` });
      reload();
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      if (input.current) input.current.value = '';
    }
  };
  const exportAll = async () => {
    const all: Variable[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await api<{ variables: Variable[]; total_entries: number }>('GET', `/api/v2/variables${qs({ limit: 100, offset })}`);
      all.push(...page.variables);
      if (all.length >= page.total_entries || !page.variables.length) break;
    }
    const blob = new Blob([JSON.stringify(Object.fromEntries(all.map((v) => [v.key, v.value])), null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'variables.json';
    a.click();
    URL.revokeObjectURL(a.href);
  };
  return (
    <>
      <label className="button">
        Import Variables
        <input ref={input} type="file" accept="application/json,.json" className="visually-hidden-input" aria-label="Import Variables from a JSON file" onChange={(e) => e.target.files?.[0] && importFile(e.target.files[0])} />
      </label>
      <button type="button" onClick={exportAll}>
        Export
      </button>
      {message && (
        <span className={message.ok ? 'notice inline' : 'error-box inline'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </span>
      )}
    </>
  );
}

const spec: ResourceSpec<Variable> = {
  title: 'Variables',
  url: '/api/v2/variables',
  listKey: 'variables',
  idField: 'key',
  searchParam: 'variable_key_pattern',
  columns: [
    { label: 'Key', render: (v) => <code>{v.key}</code> },
    { label: 'Value', render: (v) => <span className="value-cell">{v.value}</span> },
    { label: 'Description', render: (v) => v.description ?? '' },
    { label: 'Encrypted', render: (v) => (v.is_encrypted ? 'yes' : 'no') },
  ],
  fields: [
    { name: 'key', required: true, createOnly: true },
    { name: 'value', type: 'textarea', required: true, hint: 'Values of keys such as password, secret or api_key are stored encrypted and shown as ***.' },
    { name: 'description' },
  ],
  toBody: (v) => ({ key: v.key, value: v.value ?? '', description: v.description }),
  // a masked value left as *** keeps what is stored: only the description changes
  updateMask: (v) => (v.value === '***' ? ['description'] : null),
  extraActions: (reload) => <ImportExport reload={reload} />,
  emptyText: 'No variables yet: add one or import a JSON file.',
};

export function VariablesPage() {
  return <ResourcePage spec={spec} />;
}

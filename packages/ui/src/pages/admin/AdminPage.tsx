/** Admin: Variables, Connections, Pools, Config and Users. */
import type { UiConfig } from '../../App.tsx';
import { ResourcePage, type ResourceSpec } from '../../components/ResourcePage.tsx';
import { ErrorBox, Loading } from '../../components/common.tsx';
import { useApi } from '../../hooks.ts';
import { Time } from '../../time.tsx';
import { VariablesPage } from './Variables.tsx';

interface Connection {
  connection_id: string;
  conn_type: string;
  description: string | null;
  host: string | null;
  login: string | null;
  schema: string | null;
  port: number | null;
  password: string | null;
  extra: string | null;
}

const connections: ResourceSpec<Connection> = {
  title: 'Connections',
  url: '/api/v2/connections',
  listKey: 'connections',
  idField: 'connection_id',
  searchParam: 'connection_id_pattern',
  columns: [
    { label: 'Conn id', render: (c) => <code>{c.connection_id}</code> },
    { label: 'Type', render: (c) => c.conn_type },
    { label: 'Host', render: (c) => c.host ?? '' },
    { label: 'Port', render: (c) => c.port ?? '' },
    { label: 'Login', render: (c) => c.login ?? '' },
    { label: 'Description', render: (c) => c.description ?? '' },
  ],
  fields: [
    { name: 'connection_id', label: 'Connection id', required: true, createOnly: true },
    { name: 'conn_type', label: 'Connection type', required: true, hint: 'aws, postgres, http, smtp, generic…' },
    { name: 'description' },
    { name: 'host' },
    { name: 'schema' },
    { name: 'login' },
    { name: 'password', type: 'password', hint: 'Stored encrypted; shown as ***. Leave *** to keep the current one.' },
    { name: 'port', type: 'number' },
    { name: 'extra', type: 'textarea', hint: 'JSON object' },
  ],
  // masked values coming back unchanged keep what is stored
  toBody: (v) => Object.fromEntries(Object.entries(v).filter(([k, x]) => !((k === 'password' && x === '***') || (k === 'extra' && typeof x === 'string' && x.includes('"***"'))))),
};

interface Pool {
  name: string;
  slots: number;
  description: string | null;
  occupied_slots?: number;
  running_slots?: number;
  queued_slots?: number;
  open_slots?: number;
  include_deferred?: boolean;
}

const pools: ResourceSpec<Pool> = {
  title: 'Pools',
  url: '/api/v2/pools',
  listKey: 'pools',
  idField: 'name',
  searchParam: 'pool_name_pattern',
  columns: [
    { label: 'Pool', render: (p) => <code>{p.name}</code> },
    { label: 'Slots', render: (p) => (p.slots === -1 ? 'unlimited' : p.slots) },
    { label: 'Running', render: (p) => p.running_slots ?? '' },
    { label: 'Queued', render: (p) => p.queued_slots ?? '' },
    { label: 'Open', render: (p) => p.open_slots ?? '' },
    { label: 'Description', render: (p) => p.description ?? '' },
  ],
  fields: [
    { name: 'name', required: true, createOnly: true },
    { name: 'slots', type: 'number', required: true, hint: '-1 for unlimited' },
    { name: 'description' },
    { name: 'include_deferred', type: 'checkbox', label: 'Deferred tasks use slots' },
  ],
};

interface User {
  username: string;
  email: string | null;
  first_name?: string;
  last_name?: string;
  active?: boolean;
  roles: { name: string }[];
  created_on?: string;
}

const ROLE_ORDER = ['Admin', 'Op', 'User', 'Viewer'];

const users: ResourceSpec<User> = {
  title: 'Users',
  url: '/auth/fab/v1/users',
  listKey: 'users',
  idField: 'username',
  columns: [
    { label: 'Username', render: (u) => u.username },
    { label: 'Email', render: (u) => u.email ?? '' },
    { label: 'Name', render: (u) => [u.first_name, u.last_name].filter(Boolean).join(' ') },
    { label: 'Roles', render: (u) => u.roles.map((r) => r.name).join(', ') },
    { label: 'Active', render: (u) => (u.active === false ? 'no' : 'yes') },
    { label: 'Created', render: (u) => <Time value={u.created_on ?? null} /> },
  ],
  fields: [
    { name: 'username', required: true, createOnly: true },
    { name: 'first_name', label: 'First name' },
    { name: 'last_name', label: 'Last name' },
    { name: 'email' },
    { name: 'password', type: 'password', hint: 'At least 8 characters. Required for a new user; leave empty to keep the current one.' },
    { name: 'role', type: 'select', options: ['Viewer', 'User', 'Op', 'Admin'], hint: 'Viewer reads; User also triggers, clears and marks; Op also manages Variables, Connections and Pools; Admin also manages users.' },
    { name: 'active', type: 'checkbox', label: 'Active', initial: true },
  ],
  // the form edits one role, the highest the user has
  toForm: (u) => ({ ...u, role: ROLE_ORDER.find((r) => u.roles.some((x) => x.name === r)) ?? 'Viewer' }),
  toBody: (v) => ({
    ...Object.fromEntries(Object.entries(v).filter(([k, x]) => k !== 'role' && !(k === 'password' && !x) && x !== null)),
    roles: [{ name: v.role || 'Viewer' }],
  }),
};

function ConfigPage() {
  const config = useApi<{ sections: { name: string; options: { key: string; value: string; source?: string }[] }[] }>('/api/v2/config');
  return (
    <section className="page">
      <h1>Configuration</h1>
      <ErrorBox error={config.error} />
      {!config.data && !config.error && <Loading />}
      {config.data?.sections.map((s) => (
        <details key={s.name} open className="config-section">
          <summary>[{s.name}]</summary>
          <table className="table kv">
            <tbody>
              {s.options.map((o) => (
                <tr key={o.key}>
                  <th scope="row">{o.key}</th>
                  <td>
                    <code>{String(o.value)}</code> {o.source && <span className="muted">({o.source})</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </section>
  );
}

export function AdminPage({ section, config }: { section: string; config: UiConfig | null }) {
  if (section === 'variables') return <VariablesPage />;
  if (section === 'connections') return <ResourcePage spec={connections} />;
  if (section === 'pools') return <ResourcePage spec={pools} />;
  if (section === 'config') return <ConfigPage />;
  if (section === 'users') {
    if (config?.role && config.role !== 'Admin') return <ErrorBox error="Only users with the Admin role manage users." />;
    return <ResourcePage spec={users} />;
  }
  return <ErrorBox error={`No admin page ${section}`} />;
}

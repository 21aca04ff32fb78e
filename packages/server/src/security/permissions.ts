/**
 * Who may call what.
 *
 * Built-in roles (Airflow's), each including the ones below it: Viewer reads;
 * User also triggers, clears, marks, pauses and deletes runs and DAGs; Op also
 * manages Variables, Connections, Pools and reads the configuration; Admin
 * also manages users and roles. They act on every DAG (RULES below).
 *
 * Custom roles have only the permissions they were given, in Airflow's names
 * (an action on a resource): global ones (`updraft roles add-perms team_a -r
 * DAGs -a can_read`) and per-DAG ones that DAGs grant in their access_control
 * (CUSTOM_RULES below say which permission each route needs).
 */
import type { Role } from '../db/sql/users.ts';

/** lowest first */
const RANK: Record<Role, number> = { Viewer: 0, User: 1, Op: 2, Admin: 3 };

export function roleAllows(held: Role | null, needed: Role): boolean {
  return held !== null && RANK[held] >= RANK[needed];
}

interface Rule {
  /** route pattern prefix as registered (`/api/v2/pools/:pool_name` starts with `/api/v2/pools`) */
  prefix: string;
  read: Role;
  write: Role;
}

// first match wins; the route pattern, not the raw URL, is matched, so `..` or encoded ids change nothing
const RULES: Rule[] = [
  { prefix: '/auth/fab/v1/', read: 'Admin', write: 'Admin' },
  { prefix: '/api/v2/variables', read: 'Op', write: 'Op' },
  { prefix: '/api/v2/connections', read: 'Op', write: 'Op' },
  { prefix: '/api/v2/config', read: 'Op', write: 'Op' },
  { prefix: '/api/v2/pools', read: 'Viewer', write: 'Op' },
  { prefix: '/api/v2/providers', read: 'Viewer', write: 'Op' },
  { prefix: '/api/v2/', read: 'Viewer', write: 'User' },
];

/** POST routes any reader may call: batch lists (they only read) and marking a DAG as one's favourite */
const READ_ONLY_POSTS = new Set(['/api/v2/dags/:dag_id/dagRuns/list', '/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/list', '/api/v2/dags/:dag_id/favorite', '/api/v2/dags/:dag_id/unfavorite']);

/** The least role a request to this route needs, or null for routes outside the API's rules. */
export function requiredRole(method: string, routeUrl: string): Role | null {
  const rule = RULES.find((r) => routeUrl.startsWith(r.prefix));
  if (!rule) return null;
  const reads = method === 'GET' || method === 'HEAD' || (method === 'POST' && READ_ONLY_POSTS.has(routeUrl));
  return reads ? rule.read : rule.write;
}


// ---------------------------------------------------------------------------
// Custom roles

export const ACTIONS = ['can_read', 'can_edit', 'can_create', 'can_delete'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Permission {
  action: string;
  resource: string;
}

/** Resources a custom role may be given permissions on (besides DAG:<dag_id> and DAG Run:<dag_id>), and what they cover. */
export const RESOURCES: Record<string, string> = {
  DAGs: 'every DAG, and its runs and tasks: can_read; can_edit (pause, trigger, clear, mark, notes); can_delete',
  'DAG Runs': "every DAG's runs: can_read, can_create (trigger), can_edit, can_delete",
  'Task Instances': "every DAG's task instances, their logs and XComs: can_read, can_edit (clear, mark, notes)",
  Variables: '/api/v2/variables',
  Connections: '/api/v2/connections',
  Pools: '/api/v2/pools',
  Config: '/api/v2/config',
  Providers: '/api/v2/providers',
  Plugins: '/api/v2/plugins',
  Jobs: '/api/v2/jobs',
  Assets: '/api/v2/assets',
  Backfills: '/api/v2/backfills',
  'Audit Logs': 'every entry of /api/v2/eventLogs (without it, only those of readable DAGs)',
  ImportError: 'every entry of /api/v2/importErrors (without it, only those of files of readable DAGs)',
};

/**
 * Airflow's names for one DAG's resources, `DAG:<dag_id>` and `DAG Run:<dag_id>`:
 * the same actions as a DAG's access_control may grant on DAGs and DAG Runs.
 */
export const PER_DAG_RESOURCES = {
  'DAG:': { resource: 'DAGs', actions: ['can_read', 'can_edit', 'can_delete'] },
  'DAG Run:': { resource: 'DAG Runs', actions: ['can_read', 'can_create', 'can_delete'] },
} as const;

/** 1 to 64 letters, digits, spaces (not at either end) or _ . @ + - */
const ROLE_NAME = /^[\w.@+-](?:[\w .@+-]{0,62}[\w.@+-])?$/;

export function roleNameProblem(name: unknown): string | null {
  return typeof name === 'string' && ROLE_NAME.test(name) ? null : `A role name must be 1 to 64 letters, digits, spaces (not at either end) or _ . @ + -, not ${JSON.stringify(name)}`;
}

/** Why `p` cannot be granted to a role, or null. */
export function permissionProblem(p: Permission): string | null {
  if (!(ACTIONS as readonly string[]).includes(p.action)) return `Unknown action '${p.action}': choose among ${ACTIONS.join(', ')}`;
  const prefix = (Object.keys(PER_DAG_RESOURCES) as (keyof typeof PER_DAG_RESOURCES)[]).find((x) => p.resource.startsWith(x));
  if (prefix) {
    const allowed: readonly string[] = PER_DAG_RESOURCES[prefix].actions;
    if (p.resource.length === prefix.length) return `Resource '${p.resource}' names no DAG: write ${prefix}<dag_id>`;
    return allowed.includes(p.action) ? null : `Action '${p.action}' does not apply to ${p.resource}: choose among ${allowed.join(', ')}`;
  }
  if (!(p.resource in RESOURCES)) return `Unknown resource '${p.resource}': choose among ${Object.keys(RESOURCES).join(', ')}, DAG:<dag_id>, DAG Run:<dag_id>`;
  return null;
}

type CustomRule =
  /** the route acts on the DAG its :dag_id names (or lists DAGs): a permission on that DAG suffices, or one on `resource` */
  | { prefix: string; dag: string }
  /** a permission on `resource` itself */
  | { prefix: string; resource: string }
  | { prefix: string; anyone: true }
  | { prefix: string; builtinOnly: true };

// first match wins, on the route pattern as registered
const CUSTOM_RULES: CustomRule[] = [
  { prefix: '/auth/fab/v1/', builtinOnly: true },
  { prefix: '/api/v2/variables', resource: 'Variables' },
  { prefix: '/api/v2/connections', resource: 'Connections' },
  { prefix: '/api/v2/config', resource: 'Config' },
  { prefix: '/api/v2/pools', resource: 'Pools' },
  { prefix: '/api/v2/providers', resource: 'Providers' },
  { prefix: '/api/v2/plugins', resource: 'Plugins' },
  { prefix: '/api/v2/jobs', resource: 'Jobs' },
  { prefix: '/api/v2/assets', resource: 'Assets' },
  { prefix: '/api/v2/backfills', resource: 'Backfills' },
  { prefix: '/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances', dag: 'Task Instances' },
  { prefix: '/api/v2/dags/:dag_id/dagRuns/:dag_run_id/taskInstances', dag: 'Task Instances' },
  { prefix: '/api/v2/dags/:dag_id/clearTaskInstances', dag: 'Task Instances' },
  { prefix: '/api/v2/dags/:dag_id/dagRuns', dag: 'DAG Runs' },
  { prefix: '/api/v2/dags', dag: 'DAGs' },
  { prefix: '/api/v2/dagSources', dag: 'DAGs' },
  { prefix: '/api/v2/dagStats', dag: 'DAGs' },
  { prefix: '/api/v2/dagTags', dag: 'DAGs' },
  { prefix: '/api/v2/dagWarnings', dag: 'DAGs' },
  { prefix: '/api/v2/eventLogs', dag: 'Audit Logs' },
  { prefix: '/api/v2/importErrors', dag: 'ImportError' },
  { prefix: '/api/v2/', builtinOnly: true },
  { prefix: '/ui/config', anyone: true },
  { prefix: '/ui/backfills', resource: 'Backfills' },
  { prefix: '/ui/dags/:dag_id/dagRuns/:run_id/taskInstances', dag: 'Task Instances' },
  { prefix: '/ui/dags/:dag_id/dagRuns', dag: 'DAG Runs' },
  { prefix: '/ui/dags', dag: 'DAGs' },
  { prefix: '/ui/', builtinOnly: true },
];

/** Changes whose action is not can_edit: on the DAG, and on the route's own resource. */
const SPECIAL_CHANGES: Record<string, { dag: Action; own: Action }> = {
  'POST /api/v2/dags/:dag_id/dagRuns': { dag: 'can_edit', own: 'can_create' },
  'DELETE /api/v2/dags/:dag_id': { dag: 'can_delete', own: 'can_delete' },
  'DELETE /api/v2/dags/:dag_id/dagRuns/:run_id': { dag: 'can_delete', own: 'can_delete' },
};

/**
 * Routes that list across DAGs (or take `~` as the dag_id) and narrow their
 * answer to the DAGs a custom role may see (see api/dag-access.ts). Any other
 * route given `~` needs the permission on every DAG.
 */
export const DAG_LIST_ROUTES = new Set([
  'GET /api/v2/dags',
  'PATCH /api/v2/dags',
  'GET /api/v2/dagStats',
  'GET /api/v2/dagTags',
  'GET /api/v2/dagWarnings',
  'GET /api/v2/eventLogs',
  'GET /api/v2/eventLogs/:event_log_id',
  'GET /api/v2/importErrors',
  'GET /api/v2/dags/:dag_id/dagVersions',
  'GET /api/v2/dags/:dag_id/dagRuns',
  'POST /api/v2/dags/:dag_id/dagRuns/list',
  'GET /api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances',
  'POST /api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/list',
  'GET /api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/listMapped',
  'GET /api/v2/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries',
  'GET /ui/dags/recent_runs',
]);

export type CustomNeed =
  | { kind: 'anyone' }
  | { kind: 'builtin-only' }
  /** each of these, held on the resource itself */
  | { kind: 'global'; all: Permission[] }
  /** one of these on the DAG (per-DAG grants) or on every DAG (global ones) */
  | { kind: 'dag'; anyOf: Permission[] };

/** What a custom role needs for a request to this route. */
export function customRoleNeed(method: string, routeUrl: string): CustomNeed {
  const rule = CUSTOM_RULES.find((r) => routeUrl.startsWith(r.prefix));
  if (!rule || 'builtinOnly' in rule) return { kind: 'builtin-only' };
  if ('anyone' in rule) return { kind: 'anyone' };
  const reads = method === 'GET' || method === 'HEAD' || (method === 'POST' && READ_ONLY_POSTS.has(routeUrl));
  if ('resource' in rule) {
    // a bulk PATCH on the collection may create, change and delete at once
    const actions: Action[] = reads ? ['can_read'] : method === 'POST' ? ['can_create'] : method === 'DELETE' ? ['can_delete'] : routeUrl === rule.prefix ? ['can_create', 'can_edit', 'can_delete'] : ['can_edit'];
    return { kind: 'global', all: actions.map((action) => ({ action, resource: rule.resource })) };
  }
  const actions = reads ? { dag: 'can_read', own: 'can_read' } : (SPECIAL_CHANGES[`${method} ${routeUrl}`] ?? { dag: 'can_edit', own: 'can_edit' });
  const anyOf = [{ action: actions.dag, resource: 'DAGs' }];
  if (rule.dag !== 'DAGs') anyOf.push({ action: actions.own, resource: rule.dag });
  return { kind: 'dag', anyOf };
}

/** "can_edit on DAG 'x' (or can_create on its DAG Runs)" */
export function describeNeed(anyOf: Permission[], dagId: string | null): string {
  const [dag, ...others] = anyOf;
  const where = dagId === null ? 'every DAG' : `DAG '${dagId}'`;
  const alternatives = others.map((p) => `${p.action} on ${p.resource}${dagId === null ? '' : ` of it`}`);
  return `${dag.action} on ${where}${alternatives.length ? ` (or ${alternatives.join(', or ')})` : ''}`;
}

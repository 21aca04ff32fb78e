/**
 * Who may call what. Airflow's roles, each including the ones below it:
 * Viewer reads; User also triggers, clears, marks, pauses and deletes runs
 * and DAGs; Op also manages Variables, Connections, Pools and reads the
 * configuration; Admin also manages users and roles.
 */
import { ROLES, type Role } from '../db/sql/users.ts';

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

export { ROLES };
export type { Role };

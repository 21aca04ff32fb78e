/**
 * Roles and the permissions of custom roles (tables role, role_permission).
 * Built-in roles have rows (so that names are checked in one place) but no
 * permissions: theirs are fixed in security/permissions.ts, and they are
 * neither deleted nor changed here.
 */
import { builtinRolePermissions } from '../../security/builtin-role-permissions.ts';
import type { Permission } from '../../security/permissions.ts';
import type { Queryable } from './queryable.ts';
import type { Role } from './users.ts';

export interface RoleRow {
  name: string;
  builtin: boolean;
  /** granted with add-perms; per-DAG grants from access_control are in dagGrantsOfRole */
  permissions: Permission[];
}

const SELECT_ROLES = `
  SELECT r.name, r.builtin,
         coalesce((SELECT json_agg(json_build_object('action', p.action, 'resource', p.resource) ORDER BY p.resource, p.action)
                     FROM role_permission p WHERE p.role = r.name), '[]') AS permissions
  FROM role r`;

/** A page of roles; `orderBy` is SQL on `r` built from a list of allowed columns. */
export async function listRoles(db: Queryable, page: { limit: number; offset: number; orderBy?: string } = { limit: 10_000, offset: 0 }): Promise<{ roles: RoleRow[]; total: number }> {
  const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM role');
  const r = await db.query<RoleRow>(`${SELECT_ROLES} ORDER BY ${page.orderBy ?? 'r.name'}, r.name LIMIT $1 OFFSET $2`, [page.limit, page.offset]);
  return { roles: r.rows, total: total.rows[0].n };
}

export async function findRole(db: Queryable, name: string): Promise<RoleRow | null> {
  const r = await db.query<RoleRow>(`${SELECT_ROLES} WHERE r.name = $1`, [name]);
  return r.rows[0] ?? null;
}

/** The names among `names` that are no role. */
export async function unknownRoles(db: Queryable, names: string[]): Promise<string[]> {
  const r = await db.query<{ name: string }>('SELECT n AS name FROM unnest($1::text[]) AS n WHERE NOT EXISTS (SELECT 1 FROM role WHERE role.name = n)', [names]);
  return r.rows.map((x) => x.name);
}

export async function roleNames(db: Queryable): Promise<string[]> {
  return (await db.query<{ name: string }>('SELECT name FROM role ORDER BY name')).rows.map((r) => r.name);
}

/** false when a role of that name exists */
export async function createRole(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query('INSERT INTO role (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
  return (r.rowCount ?? 0) > 0;
}

export type RoleChange<T> = 'missing' | 'builtin' | T;

/** Deletes a custom role, its permissions, and takes it from every user who held it (returned). */
export async function deleteRole(db: Queryable, name: string): Promise<RoleChange<{ users: string[] }>> {
  const role = await lockRole(db, name);
  if (role !== 'ok') return role;
  const users = await db.query<{ username: string }>('UPDATE users SET roles = array_remove(roles, $1) WHERE $1 = ANY(roles) RETURNING username', [name]);
  await db.query('DELETE FROM role WHERE name = $1', [name]);
  return { users: users.rows.map((u) => u.username).sort() };
}

/** Renames a custom role; users keep it under the new name. DAG files that name the old one no longer apply to it. */
export async function renameRole(db: Queryable, from: string, to: string): Promise<RoleChange<'renamed' | 'taken'>> {
  const role = await lockRole(db, from);
  if (role !== 'ok') return role;
  if (from === to) return 'renamed';
  if ((await db.query('SELECT 1 FROM role WHERE name = $1', [to])).rowCount) return 'taken';
  // role_permission follows through ON UPDATE CASCADE
  await db.query('UPDATE role SET name = $2 WHERE name = $1', [from, to]);
  await db.query('UPDATE users SET roles = array_replace(roles, $1, $2) WHERE $1 = ANY(roles)', [from, to]);
  return 'renamed';
}

/**
 * Adds permissions to a custom role, takes them away, or replaces them all;
 * returns the permissions that were added or removed.
 */
export async function changePermissions(db: Queryable, name: string, mode: 'add' | 'remove' | 'replace', permissions: Permission[]): Promise<RoleChange<{ added: Permission[]; removed: Permission[] }>> {
  const role = await lockRole(db, name);
  if (role !== 'ok') return role;
  const actions = permissions.map((p) => p.action);
  const resources = permissions.map((p) => p.resource);
  let removed: Permission[] = [];
  if (mode !== 'add') {
    // 'remove' takes the given ones; 'replace' takes every one not given
    const r = await db.query<Permission>(
      `DELETE FROM role_permission p WHERE p.role = $1
         AND ((p.action, p.resource) IN (SELECT * FROM unnest($2::text[], $3::text[]))) = $4
       RETURNING action, resource`,
      [name, actions, resources, mode === 'remove'],
    );
    removed = r.rows;
  }
  let added: Permission[] = [];
  if (mode !== 'remove') {
    const r = await db.query<Permission>(
      `INSERT INTO role_permission (role, action, resource) SELECT $1, a, r FROM unnest($2::text[], $3::text[]) AS x(a, r)
       ON CONFLICT DO NOTHING RETURNING action, resource`,
      [name, actions, resources],
    );
    added = r.rows;
  }
  return { added, removed };
}

/** Locks the role row for the change that follows; says when there is none or it is built-in. */
async function lockRole(db: Queryable, name: string): Promise<'missing' | 'builtin' | 'ok'> {
  const r = await db.query<{ builtin: boolean }>('SELECT builtin FROM role WHERE name = $1 FOR UPDATE', [name]);
  if (!r.rows[0]) return 'missing';
  return r.rows[0].builtin ? 'builtin' : 'ok';
}

/** A role's own permissions (a built-in role's fixed ones), and those DAGs' access_control gives it. */
export async function rolePermissions(db: Queryable, role: RoleRow): Promise<{ own: Permission[]; fromDags: Permission[] }> {
  if (role.builtin) return { own: builtinRolePermissions(role.name as Role), fromDags: [] };
  return { own: role.permissions, fromDags: await dagGrantsOfRole(db, role.name) };
}

/**
 * What DAGs' access_control grants this role, as Airflow would show them:
 * (can_read, DAG:shared), (can_create, DAG Run:shared) …
 */
export async function dagGrantsOfRole(db: Queryable, name: string): Promise<Permission[]> {
  const r = await db.query<Permission>(
    `SELECT a.action, CASE g.resource WHEN 'DAGs' THEN 'DAG:' ELSE 'DAG Run:' END || d.dag_id AS resource
     FROM dag d
     CROSS JOIN LATERAL jsonb_each(d.access_control -> $1::text) AS g(resource, actions)
     CROSS JOIN LATERAL jsonb_array_elements_text(g.actions) AS a(action)
     WHERE d.access_control ? $1::text AND d.is_active AND g.resource IN ('DAGs', 'DAG Runs')
     ORDER BY d.dag_id, g.resource, a.action`,
    [name],
  );
  return r.rows;
}

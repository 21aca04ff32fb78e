/**
 * Roles over HTTP, at the paths and in the shapes of Airflow's FAB auth
 * manager API: GET/POST /auth/fab/v1/roles, GET/PATCH/DELETE
 * /auth/fab/v1/roles/{role_name}, GET /auth/fab/v1/permissions. Admin only
 * (security/permissions.ts). Built-in roles are listed with their fixed
 * permissions and cannot be changed or deleted (409).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { logEvent } from '../../db/sql/event-log.ts';
import { inTransaction, type Queryable } from '../../db/sql/queryable.ts';
import { changePermissions, createRole, deleteRole, findRole, listRoles, renameRole, rolePermissions, type RoleRow } from '../../db/sql/roles.ts';
import { ACTIONS, permissionProblem, roleNameProblem, type Permission } from '../../security/permissions.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { orderBy, paging } from './pagination.ts';

const actionResource = (p: Permission) => ({ action: { name: p.action }, resource: { name: p.resource } });

/**
 * FAB's Role: `actions` are the role's own permissions (what PATCH replaces);
 * a custom role also lists, in `granted_by_dags`, what DAGs' access_control
 * gives it (DAG:<dag_id>, DAG Run:<dag_id>), which changes with the DAG files.
 */
async function roleResponse(db: Queryable, role: RoleRow) {
  const { own, fromDags } = await rolePermissions(db, role);
  return { name: role.name, actions: own.map(actionResource), ...(role.builtin ? {} : { granted_by_dags: fromDags.map(actionResource) }) };
}

interface RoleInput {
  name?: string;
  permissions?: Permission[];
}

/** FAB's Role body: {"name": …, "actions": [{"action": {"name": …}, "resource": {"name": …}}]} */
function parseRole(raw: unknown, creating: boolean): RoleInput {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('The body must be a JSON object {"name": …, "actions": [{"action": {"name": …}, "resource": {"name": …}}]}');
  const b = raw as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => k !== 'name' && k !== 'actions');
  if (extra.length) throw badRequest(`Unknown field(s): ${extra.join(', ')}`);
  if (creating || b.name !== undefined) {
    const problem = roleNameProblem(b.name);
    if (problem) throw badRequest(problem);
  }
  let permissions: Permission[] | undefined;
  if (b.actions !== undefined) {
    if (!Array.isArray(b.actions)) throw badRequest('actions must be a list of {"action": {"name": …}, "resource": {"name": …}}');
    permissions = b.actions.map((item: unknown) => {
      const x = item as { action?: { name?: unknown }; resource?: { name?: unknown } } | null;
      const p = { action: x?.action?.name, resource: x?.resource?.name };
      if (typeof p.action !== 'string' || typeof p.resource !== 'string') throw badRequest('Each of actions must be {"action": {"name": …}, "resource": {"name": …}}');
      const problem = permissionProblem(p as Permission);
      if (problem) throw badRequest(problem);
      return p as Permission;
    });
  }
  return { name: b.name as string | undefined, permissions };
}

const builtinRefused = (name: string, what: string) => conflict(`The built-in role \`${name}\` cannot be ${what}: create a custom role instead (POST /auth/fab/v1/roles)`);
const missing = (name: string) => notFound(`The Role with name \`${name}\` was not found`);

export function registerRoleRoutes(app: FastifyInstance, pool: pg.Pool) {
  const owner = (req: FastifyRequest) => req.user?.sub ?? null;

  app.get('/auth/fab/v1/roles', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const { roles, total } = await listRoles(pool, { limit, offset, orderBy: orderBy(q.order_by, { name: 'r.name', role_id: 'r.created_at' }, 'name') });
    return { roles: await Promise.all(roles.map((r) => roleResponse(pool, r))), total_entries: total };
  });

  app.get('/auth/fab/v1/roles/:role_name', async (req) => {
    const { role_name } = req.params as { role_name: string };
    const role = await findRole(pool, role_name);
    if (!role) throw missing(role_name);
    return roleResponse(pool, role);
  });

  app.post('/auth/fab/v1/roles', async (req) => {
    const input = parseRole(req.body, true);
    const name = input.name as string;
    return inTransaction(pool, async (db) => {
      if (!(await createRole(db, name))) throw conflict(`Role with name \`${name}\` already exists; please update with the PATCH endpoint`);
      await changePermissions(db, name, 'add', input.permissions ?? []);
      await logEvent(db, { event: 'post_role', owner: owner(req), extra: { role: name, permissions: input.permissions ?? [] } });
      return roleResponse(db, (await findRole(db, name)) as RoleRow);
    });
  });

  // update_mask=name,actions says which fields count; without it, those in the body do. Actions replace the role's permissions.
  app.patch('/auth/fab/v1/roles/:role_name', async (req) => {
    const { role_name } = req.params as { role_name: string };
    const input = parseRole(req.body, false);
    const mask = (req.query as { update_mask?: unknown }).update_mask;
    const fields = mask === undefined ? null : String(mask).split(',').map((m) => m.trim()).filter(Boolean);
    const unknown = (fields ?? []).filter((f) => f !== 'name' && f !== 'actions');
    if (unknown.length) throw badRequest(`'${unknown[0]}' in update_mask is unknown: use name and/or actions`);
    const newName = fields === null || fields.includes('name') ? input.name : undefined;
    const permissions = fields === null || fields.includes('actions') ? input.permissions : undefined;
    return inTransaction(pool, async (db) => {
      let name = role_name;
      if (permissions !== undefined) {
        const changed = await changePermissions(db, name, 'replace', permissions);
        if (changed === 'missing') throw missing(name);
        if (changed === 'builtin') throw builtinRefused(name, 'changed');
      }
      if (newName !== undefined) {
        const renamed = await renameRole(db, name, newName);
        if (renamed === 'missing') throw missing(name);
        if (renamed === 'builtin') throw builtinRefused(name, 'renamed');
        if (renamed === 'taken') throw conflict(`Role with name \`${newName}\` already exists`);
        name = newName;
      }
      const role = await findRole(db, name);
      if (!role) throw missing(role_name);
      await logEvent(db, { event: 'patch_role', owner: owner(req), extra: { role: role_name, ...(newName !== undefined ? { name: newName } : {}), ...(permissions !== undefined ? { permissions } : {}) } });
      return roleResponse(db, role);
    });
  });

  app.delete('/auth/fab/v1/roles/:role_name', async (req, reply) => {
    const { role_name } = req.params as { role_name: string };
    await inTransaction(pool, async (db) => {
      const outcome = await deleteRole(db, role_name);
      if (outcome === 'missing') throw missing(role_name);
      if (outcome === 'builtin') throw builtinRefused(role_name, 'deleted');
      await logEvent(db, { event: 'delete_role', owner: owner(req), extra: { role: role_name, removed_from_users: outcome.users } });
    });
    reply.code(204);
  });

  // FAB's ActionCollection: the actions a permission may name
  app.get('/auth/fab/v1/permissions', async () => ({ actions: ACTIONS.map((name) => ({ name })), total_entries: ACTIONS.length }));
}

/**
 * Users and roles over HTTP, at the paths and in the shapes of Airflow's FAB
 * auth manager API (/auth/fab/v1/users, /auth/fab/v1/roles), which Airflow
 * clients and scripts already use. Admin only (see security/permissions.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { logEvent } from '../../db/sql/event-log.ts';
import { inTransaction } from '../../db/sql/queryable.ts';
import { createUser, deleteUser, findUser, listUsers, resetPassword, ROLES, updateUser, type PublicUser, type Role } from '../../db/sql/users.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { paging } from './pagination.ts';

export const MIN_PASSWORD = 8;
export const USERNAME = /^[\w.@+-]{1,128}$/;

/** What each role may do, as Airflow names permissions (each role also has those of the roles below it). */
const ROLE_ACTIONS: Record<Role, string[]> = {
  Viewer: ['can_read on DAGs', 'can_read on DAG Runs', 'can_read on Task Instances', 'can_read on Task Logs', 'can_read on XComs', 'can_read on Audit Logs', 'can_read on ImportError', 'can_read on Jobs', 'can_read on Pools', 'can_read on Plugins', 'can_read on Providers'],
  User: ['can_edit on DAGs', 'can_delete on DAGs', 'can_create on DAG Runs', 'can_edit on DAG Runs', 'can_delete on DAG Runs', 'can_edit on Task Instances', 'can_create on XComs'],
  Op: ['can_read on Configurations', 'can_create on Variables', 'can_read on Variables', 'can_edit on Variables', 'can_delete on Variables', 'can_create on Connections', 'can_read on Connections', 'can_edit on Connections', 'can_delete on Connections', 'can_create on Pools', 'can_edit on Pools', 'can_delete on Pools'],
  Admin: ['can_create on Users', 'can_read on Users', 'can_edit on Users', 'can_delete on Users', 'can_read on Roles'],
};

function roleResponse(role: Role) {
  const included = ROLES.slice(ROLES.indexOf(role));
  return { name: role, actions: included.flatMap((r) => ROLE_ACTIONS[r]).map((a) => ({ action: { name: a.split(' on ')[0] }, resource: { name: a.split(' on ')[1] } })) };
}

function userResponse(u: PublicUser) {
  return {
    username: u.username,
    first_name: u.first_name,
    last_name: u.last_name,
    email: u.email,
    active: u.active,
    roles: u.roles.map((name) => ({ name })),
    created_on: u.created_at.toISOString(),
    changed_on: u.changed_at.toISOString(),
    last_login: null,
    login_count: null,
    failed_login_count: null,
  };
}

interface UserInput {
  username?: string;
  password?: string;
  email?: string | null;
  first_name?: string;
  last_name?: string;
  roles?: Role[];
  active?: boolean;
}

function parseUser(raw: unknown, creating: boolean): UserInput {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('The body must be a JSON object {"username": …, "password": …, "roles": [{"name": …}], …}');
  const b = raw as Record<string, unknown>;
  const allowed = ['username', 'password', 'email', 'first_name', 'last_name', 'roles', 'active'];
  const extra = Object.keys(b).filter((k) => !allowed.includes(k));
  if (extra.length) throw badRequest(`Unknown field(s): ${extra.join(', ')}`);
  if ((creating || b.username !== undefined) && (typeof b.username !== 'string' || !USERNAME.test(b.username))) throw badRequest("username must be 1 to 128 letters, digits or _ . @ + -");
  if ((creating || b.password !== undefined) && (typeof b.password !== 'string' || b.password.length < MIN_PASSWORD)) throw badRequest(`password must be a string of at least ${MIN_PASSWORD} characters`);
  for (const f of ['first_name', 'last_name'] as const) if (b[f] !== undefined && typeof b[f] !== 'string') throw badRequest(`${f} must be a string`);
  if (b.email !== undefined && b.email !== null && (typeof b.email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(b.email))) throw badRequest('email must be an e-mail address');
  if (b.active !== undefined && typeof b.active !== 'boolean') throw badRequest('active must be true or false');
  let roles: Role[] | undefined;
  if (b.roles !== undefined) {
    if (!Array.isArray(b.roles)) throw badRequest('roles must be a list of {"name": …}');
    roles = b.roles.map((r) => {
      const name = typeof r === 'string' ? r : (r as { name?: unknown })?.name;
      if (!ROLES.includes(name as Role)) throw badRequest(`Unknown role ${JSON.stringify(name)}: choose among ${ROLES.join(', ')}`);
      return name as Role;
    });
  }
  return { ...(b as UserInput), roles: roles ?? (creating ? ['Viewer'] : undefined) };
}

export function registerUserRoutes(app: FastifyInstance, pool: pg.Pool) {
  const owner = (req: FastifyRequest) => req.user?.sub ?? null;
  const missing = (name: string) => notFound(`The User with username \`${name}\` was not found`);

  app.get('/auth/fab/v1/users', async (req) => {
    const { limit, offset } = paging(req.query as Record<string, unknown>);
    const { users, total } = await listUsers(pool, { limit, offset });
    return { users: users.map(userResponse), total_entries: total };
  });

  app.get('/auth/fab/v1/users/:username', async (req) => {
    const { username } = req.params as { username: string };
    const u = await findUser(pool, username);
    if (!u) throw missing(username);
    return userResponse(u);
  });

  app.post('/auth/fab/v1/users', async (req) => {
    const input = parseUser(req.body, true);
    const user = await inTransaction(pool, async (db) => {
      const created = await createUser(db, { username: input.username as string, password: input.password as string, roles: input.roles as Role[], email: input.email ?? null, first_name: input.first_name, last_name: input.last_name });
      if (!created) throw conflict(`Username \`${input.username}\` already exists. Use PATCH to update.`);
      await logEvent(db, { event: 'post_user', owner: owner(req), extra: { username: input.username, roles: input.roles } });
      return findUser(db, input.username as string);
    });
    return userResponse(user as PublicUser);
  });

  app.patch('/auth/fab/v1/users/:username', async (req) => {
    const { username } = req.params as { username: string };
    const input = parseUser(req.body, false);
    if (input.username !== undefined && input.username !== username) throw badRequest('Renaming users is not supported: the username in the body must match the URL');
    const mask = (req.query as { update_mask?: unknown }).update_mask;
    const fields = mask === undefined ? null : new Set(String(mask).split(',').map((m) => m.trim()));
    const use = <K extends keyof UserInput>(k: K) => (fields === null || fields.has(k) ? input[k] : undefined);
    const user = await inTransaction(pool, async (db) => {
      const updated = await updateUser(db, username, { email: use('email'), first_name: use('first_name'), last_name: use('last_name'), roles: use('roles'), active: use('active') });
      if (!updated) throw missing(username);
      const password = use('password');
      if (password !== undefined) await resetPassword(db, username, password);
      await logEvent(db, { event: 'patch_user', owner: owner(req), extra: { username, fields: Object.keys(input).filter((k) => use(k as keyof UserInput) !== undefined && k !== 'password').concat(password ? ['password'] : []) } });
      return findUser(db, username);
    });
    return userResponse(user as PublicUser);
  });

  app.delete('/auth/fab/v1/users/:username', async (req, reply) => {
    const { username } = req.params as { username: string };
    if (username === req.user?.sub) throw badRequest('You cannot delete your own account');
    await inTransaction(pool, async (db) => {
      if (!(await deleteUser(db, username))) throw missing(username);
      await logEvent(db, { event: 'delete_user', owner: owner(req), extra: { username } });
    });
    reply.code(204);
  });

  app.get('/auth/fab/v1/roles', async () => ({ roles: ROLES.map(roleResponse), total_entries: ROLES.length }));

  app.get('/auth/fab/v1/roles/:role_name', async (req) => {
    const { role_name } = req.params as { role_name: string };
    if (!ROLES.includes(role_name as Role)) throw notFound(`The Role with name \`${role_name}\` was not found`);
    return roleResponse(role_name as Role);
  });
}

/**
 * Users over HTTP, at the paths and in the shapes of Airflow's FAB auth
 * manager API (/auth/fab/v1/users), which Airflow clients and scripts already
 * use. Admin only (see security/permissions.ts). Roles are in roles.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { logEvent } from '../../db/sql/event-log.ts';
import { inTransaction, type Queryable } from '../../db/sql/queryable.ts';
import { roleNames, unknownRoles } from '../../db/sql/roles.ts';
import { createUser, deleteUser, findUser, listUsers, resetPassword, updateUser, type PublicUser } from '../../db/sql/users.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import { paging } from './pagination.ts';

export const MIN_PASSWORD = 8;
export const USERNAME = /^[\w.@+-]{1,128}$/;

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
  roles?: string[];
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
  let roles: string[] | undefined;
  if (b.roles !== undefined) {
    if (!Array.isArray(b.roles)) throw badRequest('roles must be a list of {"name": …}');
    roles = b.roles.map((r) => {
      const name = typeof r === 'string' ? r : (r as { name?: unknown })?.name;
      if (typeof name !== 'string') throw badRequest(`Unknown role ${JSON.stringify(name)}: roles must be a list of {"name": …}`);
      return name;
    });
  }
  return { ...(b as UserInput), roles: roles ?? (creating ? ['Viewer'] : undefined) };
}

/** Refuses role names the role table does not have (built-in ones are always there). */
async function checkRoles(db: Queryable, roles: string[] | undefined) {
  const unknown = roles ? await unknownRoles(db, roles) : [];
  if (unknown.length) throw badRequest(`Unknown role '${unknown[0]}': choose among ${(await roleNames(db)).join(', ')} (or create it with POST /auth/fab/v1/roles)`);
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
      await checkRoles(db, input.roles);
      const created = await createUser(db, { username: input.username as string, password: input.password as string, roles: input.roles as string[], email: input.email ?? null, first_name: input.first_name, last_name: input.last_name });
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
      await checkRoles(db, use('roles'));
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
}

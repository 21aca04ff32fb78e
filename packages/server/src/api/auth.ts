/**
 * Authentication and authorization. POST /auth/token and /auth/token/cli
 * exchange a user name and password for a bearer JWT (failed attempts are
 * rate limited); every /api/v2 route but health and version requires one and
 * the role its rule asks for; every /execution route requires a task try's
 * token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Config } from '../config/config.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { checkPassword, clearLoginFailures, findUser, hashPassword, highestRole, isBuiltinRole, recentLoginFailures, recordLoginFailure } from '../db/sql/users.ts';
import { requiredRole, roleAllows } from '../security/permissions.ts';
import { signToken, type TaskClaims, type UserClaims, verifyToken } from '../security/tokens.ts';
import { authorizeCustomRoles } from './dag-access.ts';
import { forbidden, HttpError, unauthorized, unprocessable } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user?: UserClaims;
    task?: TaskClaims;
  }
}

const PUBLIC = new Set(['/api/v2/monitor/health', '/api/v2/version', '/api/v2/auth/login', '/api/v2/auth/logout']);
// checked against when the user name is unknown, so that answering takes as long as for a wrong password
const DUMMY_HASH = hashPassword('not a password anyone has');

async function bearer(req: FastifyRequest, secret: Uint8Array) {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) throw unauthorized('Not authenticated: send Authorization: Bearer <token> (get one from POST /auth/token)');
  try {
    return await verifyToken(secret, header.slice(7).trim());
  } catch {
    throw unauthorized('Invalid or expired token: get a new one from POST /auth/token');
  }
}

/**
 * The claims a request acts with. A token the server issued names its user's
 * id: it stops working when that user is deleted, deactivated, or changes
 * password, and the user's roles are read as they are now.
 */
async function currentUser(pool: pg.Pool, claims: UserClaims): Promise<UserClaims> {
  // minted directly with the signing secret (tests, tools): the role it names
  if (claims.uid === undefined) return { ...claims, roles: claims.role ? [claims.role] : [] };
  const user = await findUser(pool, claims.sub);
  if (!user || Number(user.id) !== claims.uid || !user.active) throw unauthorized('The user of this token no longer exists or is inactive');
  if (claims.iat !== undefined && claims.iat < Math.floor(user.changed_at.getTime() / 1000)) throw unauthorized('The password changed after this token was issued: get a new one from POST /auth/token');
  return { ...claims, role: highestRole(user.roles) ?? '', roles: user.roles };
}

function customRolesOf(user: UserClaims): string[] {
  return (user.roles ?? []).filter((r) => !isBuiltinRole(r));
}

/** Authentication and role checks for every request (`tokenTtl` is unused: the login routes read their lifetimes from the configuration). */
export function registerAuth(app: FastifyInstance, deps: { pool: pg.Pool; secret: Uint8Array; tokenTtl?: number }) {
  app.addHook('onRequest', async (req) => {
    const url = req.url.split('?')[0];
    // CORS preflights carry no credentials; without a route they end as 404 (or as the CORS hook answers)
    if (req.method === 'OPTIONS') return;

    if (url.startsWith('/execution/')) {
      const claims = await bearer(req, deps.secret);
      if (claims.kind !== 'task') throw forbidden('The Execution API only accepts task tokens');
      req.task = claims;
    } else if ((url.startsWith('/api/v2/') && !PUBLIC.has(url)) || url.startsWith('/auth/fab/') || url.startsWith('/ui/')) {
      const claims = await bearer(req, deps.secret);
      if (claims.kind !== 'user') throw forbidden('A task token cannot call the public API');
      req.user = await currentUser(deps.pool, claims);
      const route = req.routeOptions.url;
      if (!route) return; // no such route: the 404 handler answers
      const needed = requiredRole(req.method, route);
      const held = isBuiltinRole(req.user.role) ? req.user.role : null;
      const custom = customRolesOf(req.user);
      // built-in roles decide as they always did (routes outside their rules, the UI's, are open to
      // them); custom roles can only add to that, and are all a user without built-in roles has
      if (needed ? roleAllows(held, needed) : held !== null || custom.length === 0) return;
      if (!custom.length) {
        throw forbidden(`Forbidden: ${req.method} ${route} needs the ${needed} role (or higher); user '${req.user.sub}' has ${req.user.role || 'no role'}`);
      }
      await authorizeCustomRoles(deps.pool, req, custom, needed);
    }
  });
}

/** A `next` that stays on this server: a path, never another site (`//host`, `https://…`). */
function localPath(next: unknown): string {
  const value = typeof next === 'string' ? next : '/';
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

/**
 * POST /auth/token (lifetime [api_auth] jwt_expiration_time) and /auth/token/cli
 * (jwt_cli_expiration_time); GET /api/v2/auth/login and /logout send the
 * browser to the web UI, which holds the token and shows the login form.
 */
export function registerLoginRoutes(app: FastifyInstance, deps: { pool: pg.Pool; secret: Uint8Array; config: Config }) {
  const { pool, secret, config } = deps;
  app.get('/api/v2/auth/login', async (req, reply) => {
    const next = localPath((req.query as { next?: unknown }).next);
    return reply.code(307).header('location', `/?next=${encodeURIComponent(next)}`).send({ detail: 'Log in through the web UI (or POST /auth/token)' });
  });
  app.get('/api/v2/auth/logout', async (_req, reply) => reply.code(307).header('location', '/?logged_out=1').send({ detail: 'Tokens are held by the client: forget yours to log out' }));
  const maxFailures = config.int('api_auth', 'login_max_failures');
  const window = config.int('api_auth', 'login_lockout_seconds');

  const login = (path: string, ttl: number) =>
    app.post(path, async (req, reply) => {
      const body = req.body as { username?: unknown; password?: unknown } | undefined;
      if (!body || typeof body !== 'object' || typeof body.username !== 'string' || typeof body.password !== 'string') {
        throw unprocessable('Send JSON {"username": "…", "password": "…"}');
      }
      const failures = await recentLoginFailures(pool, body.username, req.ip, window);
      // an address may front several people (NAT), so it gets more tries than one user name
      if (failures.byUser >= maxFailures || failures.byAddress >= maxFailures * 4) {
        const retryAfter = Math.max(1, Math.ceil(((failures.oldest?.getTime() ?? Date.now()) + window * 1000 - Date.now()) / 1000));
        reply.header('retry-after', String(retryAfter));
        throw new HttpError(429, `Too many failed logins: try again in ${retryAfter} seconds`);
      }
      const user = await findUser(pool, body.username);
      const ok = checkPassword(body.password, user?.password_hash ?? DUMMY_HASH) && user !== null && user.active;
      if (!ok || !user) {
        await recordLoginFailure(pool, body.username, req.ip);
        await logEvent(pool, { event: 'login_failed', owner: body.username, extra: { address: req.ip } });
        throw unauthorized('Invalid username or password');
      }
      await clearLoginFailures(pool, user.username);
      await logEvent(pool, { event: path.endsWith('/cli') ? 'login_cli' : 'login', owner: user.username });
      const role = highestRole(user.roles) ?? '';
      const access_token = await signToken(secret, { kind: 'user', sub: user.username, role, uid: Number(user.id) }, ttl);
      reply.code(201);
      return { access_token };
    });

  login('/auth/token', config.int('api_auth', 'jwt_expiration_time'));
  login('/auth/token/cli', config.int('api_auth', 'jwt_cli_expiration_time'));
}


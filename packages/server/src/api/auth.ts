/**
 * Authentication: POST /auth/token exchanges a username and password for a
 * bearer JWT; every /api/v2 route but health and version requires one, and
 * every /execution route requires a task try's token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { logEvent } from '../db/sql/event-log.ts';
import { checkPassword, findUser } from '../db/sql/users.ts';
import { signToken, type TaskClaims, type UserClaims, verifyToken } from '../security/tokens.ts';
import { badRequest, forbidden, unauthorized } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user?: UserClaims;
    task?: TaskClaims;
  }
}

const PUBLIC = new Set(['/api/v2/monitor/health', '/api/v2/version']);

async function bearer(req: FastifyRequest, secret: Uint8Array) {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) throw unauthorized('Not authenticated: send Authorization: Bearer <token> (get one from POST /auth/token)');
  try {
    return await verifyToken(secret, header.slice(7).trim());
  } catch {
    throw unauthorized('Invalid or expired token: get a new one from POST /auth/token');
  }
}

export function registerAuth(app: FastifyInstance, deps: { pool: pg.Pool; secret: Uint8Array; tokenTtl: number }) {
  app.addHook('onRequest', async (req) => {
    const url = req.url.split('?')[0];

    if (url.startsWith('/execution/')) {
      const claims = await bearer(req, deps.secret);
      if (claims.kind !== 'task') throw forbidden('The Execution API only accepts task tokens');
      req.task = claims;
    } else if (url.startsWith('/api/v2/') && !PUBLIC.has(url)) {
      const claims = await bearer(req, deps.secret);
      if (claims.kind !== 'user') throw forbidden('A task token cannot call the public API');
      req.user = claims;
    }
  });

  app.post('/auth/token', async (req, reply) => {
    const body = req.body as { username?: unknown; password?: unknown } | undefined;
    if (!body || typeof body.username !== 'string' || typeof body.password !== 'string') {
      throw badRequest('Send JSON {"username": "…", "password": "…"}');
    }
    const user = await findUser(deps.pool, body.username);
    if (!user || !checkPassword(body.password, user.password_hash)) {
      throw unauthorized('Invalid username or password');
    }
    await logEvent(deps.pool, { event: 'login', owner: user.username });
    const access_token = await signToken(deps.secret, { kind: 'user', sub: user.username, role: user.role }, deps.tokenTtl);
    reply.code(201);
    return { access_token };
  });
}


/**
 * Authorization of users who hold custom roles, for requests their built-in
 * roles (if any) do not already allow: a route naming a DAG needs the
 * permission on that DAG; a route listing DAGs (or given `~`) is let through
 * with the DAGs the user may see in `req.visibleDags`, which its handler
 * applies with `visibleDags(req)`; other routes need a permission on their
 * resource (security/permissions.ts says which).
 */
import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/sql/queryable.ts';
import { dagsGranted, grantedEverywhere } from '../db/sql/dag-access.ts';
import { customRoleNeed, DAG_LIST_ROUTES, describeNeed, type Permission } from '../security/permissions.ts';
import { forbidden } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** the DAGs a list may show this user; undefined: every DAG */
    visibleDags?: string[];
  }
}

/** The DAGs a list handler may show, or null for all of them (built-in roles, or a permission on every DAG). */
export function visibleDags(req: FastifyRequest): string[] | null {
  return req.visibleDags ?? null;
}

/**
 * Checks a request of a user with `customRoles` against the route's need;
 * `alsoNeeds` names the built-in role that would have sufficed, for the message.
 */
export async function authorizeCustomRoles(db: Queryable, req: FastifyRequest, customRoles: string[], alsoNeeds: string | null): Promise<void> {
  const route = req.routeOptions.url as string;
  const need = customRoleNeed(req.method, route);
  const user = req.user as { sub: string; roles?: string[] };
  const builtin = alsoNeeds ? `the ${alsoNeeds} role` : 'a built-in role';
  const refuse = (what: string | null) =>
    forbidden(`Forbidden: ${req.method} ${route} needs ${what ? `${what} (or ${builtin})` : builtin}; user '${user.sub}' has roles ${(user.roles ?? customRoles).join(', ')}`);

  if (need.kind === 'anyone') return;
  if (need.kind === 'builtin-only') throw refuse(null);
  if (need.kind === 'global') {
    for (const p of need.all) if (!(await grantedEverywhere(db, customRoles, [p]))) throw refuse(`${p.action} on ${p.resource}`);
    return;
  }

  const dagId = (req.params as { dag_id?: string } | undefined)?.dag_id;
  if (dagId !== undefined && dagId !== '~') {
    if (await grantedEverywhere(db, customRoles, need.anyOf)) return;
    if ((await dagsGranted(db, customRoles, need.anyOf, dagId)).length === 0) throw refuse(describeNeed(need.anyOf, dagId));
    return;
  }
  if (await grantedEverywhere(db, customRoles, need.anyOf)) return;
  if (!DAG_LIST_ROUTES.has(`${req.method === 'HEAD' ? 'GET' : req.method} ${route}`)) throw refuse(describeNeed(need.anyOf, null));
  req.visibleDags = await dagsGranted(db, customRoles, need.anyOf as Permission[]);
}

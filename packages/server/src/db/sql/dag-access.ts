/**
 * What custom roles may do on DAGs, resolved when a request asks: the user's
 * roles joined with each DAG's access_control and with the roles'
 * permissions. Nothing is copied when a DAG is parsed or a role created, so a
 * role created after the DAG, or a DAG changed after the role, counts at once.
 */
import { PER_DAG_RESOURCES, type Permission } from '../../security/permissions.ts';
import type { Queryable } from './queryable.ts';

/** Whether `roles` hold one of `anyOf` on the resource itself, i.e. on every DAG (`DAGs`, `DAG Runs` …). */
export async function grantedEverywhere(db: Queryable, roles: string[], anyOf: Permission[]): Promise<boolean> {
  const r = await db.query<{ ok: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM role_permission p
       JOIN unnest($2::text[], $3::text[]) AS w(action, resource) ON p.action = w.action AND p.resource = w.resource
       WHERE p.role = ANY($1::text[])) AS ok`,
    [roles, anyOf.map((p) => p.action), anyOf.map((p) => p.resource)],
  );
  return r.rows[0].ok;
}

/**
 * The DAGs on which `roles` hold one of `anyOf` through the DAG's own
 * access_control ({"team_a": {"DAGs": ["can_read"]}}) or a per-DAG permission
 * (DAG:<dag_id>, DAG Run:<dag_id>); `onlyDag` asks about that one DAG.
 */
export async function dagsGranted(db: Queryable, roles: string[], anyOf: Permission[], onlyDag: string | null = null): Promise<string[]> {
  const perDagPrefix = (resource: string) => Object.entries(PER_DAG_RESOURCES).find(([, v]) => v.resource === resource)?.[0] ?? null;
  const r = await db.query<{ dag_id: string }>(
    `SELECT d.dag_id FROM dag d
     WHERE ($5::text IS NULL OR d.dag_id = $5)
       AND EXISTS (
         SELECT 1
         FROM unnest($2::text[], $3::text[], $4::text[]) AS w(action, resource, per_dag_prefix)
         CROSS JOIN unnest($1::text[]) AS held(role)
         WHERE d.access_control -> held.role -> w.resource ? w.action
            OR EXISTS (SELECT 1 FROM role_permission p
                       WHERE p.role = held.role AND p.action = w.action AND p.resource = w.per_dag_prefix || d.dag_id))
     ORDER BY d.dag_id`,
    [roles, anyOf.map((p) => p.action), anyOf.map((p) => p.resource), anyOf.map((p) => perDagPrefix(p.resource)), onlyDag],
  );
  return r.rows.map((x) => x.dag_id);
}

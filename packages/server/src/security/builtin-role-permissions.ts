/**
 * The permissions of the built-in roles, as Airflow names them, for display
 * (GET /auth/fab/v1/roles, `updraft roles list -p`). What they allow is
 * decided by the route rules in permissions.ts; this list describes it.
 */
import { ROLES, type Role } from '../db/sql/users.ts';
import type { Permission } from './permissions.ts';

/** What each role adds to the roles below it. */
const ADDS: Record<Role, string[]> = {
  Viewer: ['can_read on DAGs', 'can_read on DAG Runs', 'can_read on Task Instances', 'can_read on Task Logs', 'can_read on XComs', 'can_read on Audit Logs', 'can_read on ImportError', 'can_read on Jobs', 'can_read on Pools', 'can_read on Plugins', 'can_read on Providers'],
  User: ['can_edit on DAGs', 'can_delete on DAGs', 'can_create on DAG Runs', 'can_edit on DAG Runs', 'can_delete on DAG Runs', 'can_edit on Task Instances', 'can_create on XComs'],
  Op: ['can_read on Configurations', 'can_create on Variables', 'can_read on Variables', 'can_edit on Variables', 'can_delete on Variables', 'can_create on Connections', 'can_read on Connections', 'can_edit on Connections', 'can_delete on Connections', 'can_create on Pools', 'can_edit on Pools', 'can_delete on Pools'],
  Admin: ['can_create on Users', 'can_read on Users', 'can_edit on Users', 'can_delete on Users', 'can_create on Roles', 'can_read on Roles', 'can_edit on Roles', 'can_delete on Roles'],
};

/** Every permission of a built-in role, its own and those of the roles below it. */
export function builtinRolePermissions(role: Role): Permission[] {
  return ROLES.slice(ROLES.indexOf(role))
    .flatMap((r) => ADDS[r])
    .map((p) => {
      const [action, resource] = p.split(' on ');
      return { action, resource };
    });
}

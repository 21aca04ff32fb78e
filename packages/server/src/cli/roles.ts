/**
 * `updraft roles create | list | delete | add-perms | del-perms | export | import`, as Airflow's:
 * on the local installation's database, or through the api-server's
 * /auth/fab/v1/roles endpoints with --api-url (or UPDRAFT_API_URL). Built-in
 * roles (Admin, Op, User, Viewer) are listed but never deleted or changed.
 */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { Config } from '../config/config.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { changePermissions, createRole, deleteRole, findRole, listRoles, rolePermissions } from '../db/sql/roles.ts';
import { isBuiltinRole } from '../db/sql/users.ts';
import { ACTIONS, permissionProblem, RESOURCES, roleNameProblem, type Permission } from '../security/permissions.ts';
import { type ApiClient, remoteApi, seg } from './api-client.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';

interface RoleInfo {
  name: string;
  builtin: boolean;
  own: Permission[];
  /** what DAGs' access_control gives a custom role (DAG:<dag_id> …) */
  fromDags: Permission[];
}

/** The same operations on the local database or through the API, so each command is written once. */
interface RoleStore {
  find(name: string): Promise<RoleInfo | null>;
  list(): Promise<RoleInfo[]>;
  /** false when it exists already */
  create(name: string): Promise<boolean>;
  /** returns the users it was taken from */
  delete(name: string): Promise<string[]>;
  /** returns the permissions actually added or removed */
  change(name: string, mode: 'add' | 'remove', permissions: Permission[]): Promise<Permission[]>;
}

type ApiRole = { name: string; actions: { action: { name: string }; resource: { name: string } }[]; granted_by_dags?: ApiRole['actions'] };
const fromApi = (items: ApiRole['actions'] = []) => items.map((x) => ({ action: x.action.name, resource: x.resource.name }));
const toApi = (permissions: Permission[]) => permissions.map((p) => ({ action: { name: p.action }, resource: { name: p.resource } }));
const same = (a: Permission, b: Permission) => a.action === b.action && a.resource === b.resource;

function apiStore(api: ApiClient): RoleStore {
  const info = (r: ApiRole): RoleInfo => ({ name: r.name, builtin: isBuiltinRole(r.name), own: fromApi(r.actions), fromDags: fromApi(r.granted_by_dags) });
  const store: RoleStore = {
    async find(name) {
      try {
        return info(await api.get<ApiRole>(`/auth/fab/v1/roles/${seg(name)}`));
      } catch (err) {
        if (/HTTP 404/.test((err as Error).message)) return null;
        throw err;
      }
    },
    async list() {
      return (await api.get<{ roles: ApiRole[] }>('/auth/fab/v1/roles?limit=10000')).roles.map(info);
    },
    async create(name) {
      try {
        await api.post('/auth/fab/v1/roles', { name, actions: [] });
        return true;
      } catch (err) {
        if (/HTTP 409/.test((err as Error).message)) return false;
        throw err;
      }
    },
    async delete(name) {
      await api.delete(`/auth/fab/v1/roles/${seg(name)}`);
      return [];
    },
    async change(name, mode, permissions) {
      const current = (await store.find(name))?.own ?? [];
      const changed = permissions.filter((p) => current.some((c) => same(c, p)) === (mode === 'remove'));
      const next = mode === 'add' ? [...current, ...changed] : current.filter((c) => !changed.some((p) => same(c, p)));
      if (changed.length) await api.patch(`/auth/fab/v1/roles/${seg(name)}?update_mask=actions`, { actions: toApi(next) });
      return changed;
    },
  };
  return store;
}

function localStore(pool: import('pg').Pool): RoleStore {
  const audit = (event: string, extra: Record<string, unknown>) => logEvent(pool, { event, owner: cliUser(), extra });
  return {
    async find(name) {
      const role = await findRole(pool, name);
      return role && { name: role.name, builtin: role.builtin, ...(await rolePermissions(pool, role)) };
    },
    async list() {
      const { roles } = await listRoles(pool);
      return Promise.all(roles.map(async (r) => ({ name: r.name, builtin: r.builtin, ...(await rolePermissions(pool, r)) })));
    },
    async create(name) {
      const created = await createRole(pool, name);
      if (created) await audit('cli_roles_create', { role: name });
      return created;
    },
    async delete(name) {
      return inTransaction(pool, async (db) => {
        const outcome = await deleteRole(db, name);
        if (outcome === 'missing' || outcome === 'builtin') throw new CliError(`Role '${name}' cannot be deleted (${outcome})`);
        await logEvent(db, { event: 'cli_roles_delete', owner: cliUser(), extra: { role: name, removed_from_users: outcome.users } });
        return outcome.users;
      });
    },
    async change(name, mode, permissions) {
      return inTransaction(pool, async (db) => {
        const outcome = await changePermissions(db, name, mode, permissions);
        if (outcome === 'missing' || outcome === 'builtin') throw new CliError(`Role '${name}' cannot be changed (${outcome})`);
        const changed = mode === 'add' ? outcome.added : outcome.removed;
        await logEvent(db, { event: mode === 'add' ? 'cli_roles_add_perms' : 'cli_roles_del_perms', owner: cliUser(), extra: { role: name, permissions: changed } });
        return changed;
      });
    },
  };
}

/** Runs `fn` with the API when one is configured, else with the local database. */
async function withRoles<T>(config: () => Config, fn: (store: RoleStore) => Promise<T>): Promise<T> {
  const api = remoteApi();
  if (api) return fn(apiStore(api));
  return withDb(config(), (db) => fn(localStore(db.pool)));
}

/** The roles named, each of which must exist and be a custom one; checked before anything changes. */
async function customRoles(store: RoleStore, names: string[], what: string): Promise<void> {
  for (const name of names) {
    const role = await store.find(name);
    if (!role) throw new CliError(`Role named '${name}' does not exist`);
    if (role.builtin) throw new CliError(`The built-in role '${name}' cannot be ${what}: create a custom role instead (updraft roles create)`);
  }
}

function permissionsOf(resources: string[], actions: string[]): Permission[] {
  const permissions = resources.flatMap((resource) => actions.map((action) => ({ action, resource })));
  for (const p of permissions) {
    const problem = permissionProblem(p);
    if (problem) throw new CliError(problem);
  }
  return permissions;
}

/** Airflow's export format (and `list -p`'s rows): one entry per role and resource, the actions comma-joined; an exported role without permissions has '' for both. */
type ExportedRow = { name: string; resource: string; action: string };

/** Airflow's layout of a role's permissions: one row per resource (sorted), its actions sorted and comma-joined. */
function rowsByResource(name: string, permissions: Permission[]): ExportedRow[] {
  const byResource = new Map<string, Set<string>>();
  for (const p of permissions) byResource.set(p.resource, (byResource.get(p.resource) ?? new Set()).add(p.action));
  return [...byResource]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([resource, actions]) => ({ name, resource, action: [...actions].sort().join(',') }));
}

function exportRows(roles: RoleInfo[]): ExportedRow[] {
  return roles.filter((r) => !r.builtin).flatMap((role) => (role.own.length ? rowsByResource(role.name, role.own) : [{ name: role.name, resource: '', action: '' }]));
}

/** Reads and checks a whole export file before anything changes: the roles it names, with their permissions. */
function readExport(file: string): Map<string, Permission[]> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(e.code === 'ENOENT' ? `File '${file}' does not exist` : `File '${file}' is not valid JSON: ${e.message}`);
  }
  if (!Array.isArray(data)) throw new CliError(`File '${file}' must hold a list of {"name", "resource", "action"} entries (as updraft roles export writes)`);
  const roles = new Map<string, Permission[]>();
  data.forEach((entry: unknown, i) => {
    const e = entry as Partial<ExportedRow> | null;
    const where = `entry ${i + 1} of '${file}'`;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || typeof (e.resource ?? '') !== 'string' || typeof (e.action ?? '') !== 'string') {
      throw new CliError(`${where}: expected {"name": string, "resource": string, "action": string}`);
    }
    const nameProblem = roleNameProblem(e.name);
    if (nameProblem) throw new CliError(`${where}: ${nameProblem}`);
    const actions = (e.action ?? '').split(',').map((a) => a.trim()).filter(Boolean);
    if (!e.resource !== (actions.length === 0)) throw new CliError(`${where}: a resource needs at least one action, and actions need a resource`);
    const permissions = actions.map((action) => ({ action, resource: e.resource as string }));
    for (const p of permissions) {
      const problem = permissionProblem(p);
      if (problem) throw new CliError(`${where}: ${problem}`);
    }
    roles.set(e.name, [...(roles.get(e.name) ?? []), ...permissions]);
  });
  return roles;
}

export function registerRoleCommands(program: Command, config: () => Config) {
  const roles = program.command('roles').description('Manage roles: the built-in ones and custom ones that DAGs can grant access to (access_control)');
  roles
    .command('create')
    .description('Create custom roles')
    .argument('<role...>', 'role names')
    .action(async (names: string[]) => {
      for (const name of names) {
        const problem = roleNameProblem(name);
        if (problem) throw new CliError(problem);
      }
      await withRoles(config, async (store) => {
        for (const name of names) process.stdout.write((await store.create(name)) ? `Role '${name}' created\n` : `Role '${name}' already exists\n`);
      });
    });
  roles
    .command('list')
    .description('List roles; with -p, their permissions (one row per role and resource)')
    .option('-p, --permission', 'show the permissions of each role')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .action(async (o: { permission?: boolean; output: OutputFormat }) => {
      const all = await withRoles(config, (store) => store.list());
      if (!o.permission) {
        printRows(all.map((r) => ({ name: r.name })), o.output);
        return;
      }
      const sorted = [...all].sort((a, b) => (a.name < b.name ? -1 : 1));
      printRows(sorted.flatMap((role) => rowsByResource(role.name, [...role.own, ...role.fromDags])), o.output, ['name', 'resource', 'action']);
    });
  roles
    .command('delete')
    .description('Delete custom roles (users who held them lose them)')
    .argument('<role...>', 'role names')
    .action(async (names: string[]) => {
      await withRoles(config, async (store) => {
        await customRoles(store, names, 'deleted');
        for (const name of names) {
          const users = await store.delete(name);
          process.stdout.write(`Role '${name}' deleted${users.length ? ` (taken from ${users.join(', ')})` : ''}\n`);
        }
      });
    });
  for (const [command, mode] of [
    ['add-perms', 'add'],
    ['del-perms', 'remove'],
  ] as const) {
    roles
      .command(command)
      .description(mode === 'add' ? 'Give custom roles permissions (each action on each resource)' : 'Take permissions from custom roles')
      .argument('<role...>', 'role names')
      .requiredOption('-r, --resource <resource...>', `resources: ${Object.keys(RESOURCES).join(', ')}, DAG:<dag_id>, DAG Run:<dag_id>`)
      .requiredOption('-a, --action <action...>', `actions: ${ACTIONS.join(', ')}`)
      .action(async (names: string[], o: { resource: string[]; action: string[] }) => {
        const permissions = permissionsOf(o.resource, o.action);
        await withRoles(config, async (store) => {
          await customRoles(store, names, 'changed');
          for (const name of names) {
            const changed = await store.change(name, mode, permissions);
            for (const p of permissions) {
              const done = changed.some((c) => same(c, p));
              const text = `${p.action} on ${p.resource}`;
              if (mode === 'add') process.stdout.write(done ? `Added ${text} to role ${name}\n` : `Role ${name} already has ${text}\n`);
              else process.stdout.write(done ? `Deleted ${text} from role ${name}\n` : `Role ${name} does not have ${text}\n`);
            }
          }
        });
      });
  }
  roles
    .command('export')
    .description("Write the custom roles and their permissions to a JSON file (Airflow's format; built-in roles and what DAGs' access_control grants are left out)")
    .argument('<file>', 'JSON file to write')
    .option('-p, --pretty', 'indent the JSON')
    .action(async (file: string, o: { pretty?: boolean }) => {
      const rows = exportRows(await withRoles(config, (store) => store.list()));
      fs.writeFileSync(file, `${JSON.stringify(rows, null, o.pretty ? 4 : undefined)}\n`);
      process.stdout.write(`${new Set(rows.map((r) => r.name)).size} roles (${rows.length} entries) exported to ${file}\n`);
    });
  roles
    .command('import')
    .description('Create the roles of a JSON file written by roles export, with their permissions. Roles that exist already, and the built-in ones, are left as they are (as Airflow does); the file is checked whole before anything changes')
    .argument('<file>', 'JSON file to read')
    .action(async (file: string) => {
      const wanted = readExport(file);
      await withRoles(config, async (store) => {
        for (const [name, permissions] of wanted) {
          if (isBuiltinRole(name) || (await store.find(name))) {
            process.stdout.write(`Role '${name}' exists already: left as it is\n`);
            continue;
          }
          await store.create(name);
          if (permissions.length) await store.change(name, 'add', permissions);
          process.stdout.write(`Role '${name}' imported with ${permissions.length} permission${permissions.length === 1 ? '' : 's'}\n`);
        }
      });
    });
}

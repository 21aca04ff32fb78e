/**
 * `updraft users create | list | delete | reset-password | add-role | remove-role`, as Airflow's. A
 * component run on its own (api-server on a fleet) has no standalone to create
 * `admin`: this is how operators add accounts. Passwords come from --password,
 * or from standard input with --password-stdin, never echoed back.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/config.ts';
import { logEvent } from '../db/sql/event-log.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { roleNames, unknownRoles } from '../db/sql/roles.ts';
import { addRole, createUser, deleteUser, listUsers, removeRole, resetPassword, ROLES } from '../db/sql/users.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';
import { remoteApi, seg } from './api-client.ts';

type ApiUser = { username: string; email: string | null; first_name: string; last_name: string; roles: { name: string }[] };

const MIN_PASSWORD = 8;

function password(o: { password?: string; passwordStdin?: boolean }): string {
  const value = o.passwordStdin ? fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '') : o.password;
  if (!value) throw new CliError('Give the password with --password or --password-stdin');
  if (value.length < MIN_PASSWORD) throw new CliError(`The password must have at least ${MIN_PASSWORD} characters`);
  return value;
}

/** A built-in role in any case ('viewer' is Viewer); any other name as written, for a custom role. */
function role(value: string): string {
  return ROLES.find((r) => r.toLowerCase() === value.toLowerCase()) ?? value;
}

/** Refuses a name that is no role in the database (through the API, the api-server checks). */
async function mustExist(db: Queryable, name: string) {
  if ((await unknownRoles(db, [name])).length) throw new CliError(`Unknown role '${name}': choose one of ${(await roleNames(db)).join(', ')} (or create it with \`updraft roles create\`)`);
}

export function registerUserCommands(program: Command, config: () => Config) {
  const users = program.command('users').description('Manage the accounts of the api-server');
  users
    .command('create')
    .description('Create a user')
    .requiredOption('-u, --username <name>', 'user name')
    .option('-r, --role <role>', `one of ${ROLES.join(', ')}, or a custom role`, 'Viewer')
    .option('-e, --email <email>', 'e-mail address')
    .option('-f, --firstname <name>', 'first name')
    .option('-l, --lastname <name>', 'last name')
    .option('-p, --password <password>', 'password (prefer --password-stdin: a command line is visible to others)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (o) => {
      const user = { username: String(o.username).trim(), roles: [role(o.role)], email: o.email ?? null, password: password(o), first_name: o.firstname ?? '', last_name: o.lastname ?? '' };
      if (!/^[\w.@+-]{1,128}$/.test(user.username)) throw new CliError(`User name '${user.username}' may only contain letters, digits and _ . @ + -`);
      const api = remoteApi();
      if (api) {
        await api.post('/auth/fab/v1/users', { ...user, roles: user.roles.map((name) => ({ name })) }).catch((err: Error) => {
          throw /HTTP 409/.test(err.message) ? new CliError(`User '${user.username}' already exists (use \`updraft users reset-password\` to change the password)`) : err;
        });
        process.stdout.write(`User '${user.username}' created with role ${user.roles[0]}\n`);
        return;
      }
      await withDb(config(), async (db) => {
        await mustExist(db.pool, user.roles[0]);
        if (!(await createUser(db.pool, user))) throw new CliError(`User '${user.username}' already exists (use \`updraft users reset-password\` to change the password)`);
        await logEvent(db.pool, { event: 'cli_users_create', owner: cliUser(), extra: { username: user.username, roles: user.roles } });
        process.stdout.write(`User '${user.username}' created with role ${user.roles[0]}\n`);
      });
    });
  users
    .command('list')
    .description('List users')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .action(async (o) => {
      const api = remoteApi();
      if (api) {
        const { users: rows } = await api.get<{ users: ApiUser[] }>('/auth/fab/v1/users?limit=10000');
        printRows(
          rows.map((u) => ({ username: u.username, role: u.roles.map((r) => r.name).join(','), email: u.email, first_name: u.first_name, last_name: u.last_name })),
          o.output as OutputFormat,
          ['username', 'role', 'email'],
        );
        return;
      }
      await withDb(config(), async (db) => {
        const { users: rows } = await listUsers(db.pool);
        printRows(
          rows.map((u) => ({ id: Number(u.id), username: u.username, role: u.roles.join(','), email: u.email, first_name: u.first_name, last_name: u.last_name })),
          o.output as OutputFormat,
          ['id', 'username', 'role', 'email'],
        );
      });
    });
  users
    .command('delete')
    .description('Delete a user')
    .requiredOption('-u, --username <name>', 'user name')
    .action(async (o) => {
      const api = remoteApi();
      if (api) {
        await api.delete(`/auth/fab/v1/users/${seg(o.username)}`);
        process.stdout.write(`User '${o.username}' deleted\n`);
        return;
      }
      await withDb(config(), async (db) => {
        if (!(await deleteUser(db.pool, o.username))) throw new CliError(`User '${o.username}' does not exist`);
        await logEvent(db.pool, { event: 'cli_users_delete', owner: cliUser(), extra: { username: o.username } });
        process.stdout.write(`User '${o.username}' deleted\n`);
      });
    });
  users
    .command('reset-password')
    .description("Set a user's password")
    .requiredOption('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'new password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (o) => {
      const value = password(o);
      const api = remoteApi();
      if (api) {
        await api.patch(`/auth/fab/v1/users/${seg(o.username)}?update_mask=password`, { password: value });
        process.stdout.write(`Password of '${o.username}' changed\n`);
        return;
      }
      await withDb(config(), async (db) => {
        if (!(await resetPassword(db.pool, o.username, value))) throw new CliError(`User '${o.username}' does not exist`);
        await logEvent(db.pool, { event: 'cli_users_reset_password', owner: cliUser(), extra: { username: o.username } });
        process.stdout.write(`Password of '${o.username}' changed\n`);
      });
    });
  for (const [name, change, verb] of [
    ['add-role', addRole, 'added to'],
    ['remove-role', removeRole, 'removed from'],
  ] as const) {
    users
      .command(name)
      .description(name === 'add-role' ? 'Give a user a role' : 'Take a role from a user')
      .requiredOption('-u, --username <name>', 'user name')
      .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')}, or a custom role`)
      .action(async (o) => {
        const r = role(o.role);
        const api = remoteApi();
        if (api) {
          const user = await api.get<ApiUser>(`/auth/fab/v1/users/${seg(o.username)}`);
          const held = user.roles.map((x) => x.name);
          const roles = name === 'add-role' ? [...new Set([...held, r])] : held.filter((x) => x !== r);
          await api.patch(`/auth/fab/v1/users/${seg(o.username)}?update_mask=roles`, { roles: roles.map((x) => ({ name: x })) });
          process.stdout.write(`Role ${r} ${verb} '${o.username}' (roles now: ${roles.join(', ') || 'none'})\n`);
          return;
        }
        await withDb(config(), async (db) => {
          // taking away a role that no longer exists is allowed; giving one is not
          if (name === 'add-role') await mustExist(db.pool, r);
          const user = await change(db.pool, o.username, r);
          if (!user) throw new CliError(`User '${o.username}' does not exist`);
          await logEvent(db.pool, { event: `cli_users_${name.replace('-', '_')}`, owner: cliUser(), extra: { username: o.username, role: r } });
          process.stdout.write(`Role ${r} ${verb} '${o.username}' (roles now: ${user.roles.join(', ') || 'none'})\n`);
        });
      });
  }
}

/**
 * `updraft connections add | delete | get | list | import | export`, as
 * Airflow's. Passwords are shown as *** (and masked in the URI); export files
 * hold them in clear so that import restores them.
 */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { Config } from '../config/config.ts';
import { type ConnectionFields, ConnectionFormatError, connectionToJson, connectionToUri, emptyConnection, parseConnectionJson, parseConnectionUri } from '../connections/uri.ts';
import { deleteConnection, getConnection, insertConnection, listConnections, replaceConnection, type ConnectionRow } from '../db/sql/connections.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { connectionFromEnv } from '../security/env-secrets.ts';
import { MASK, SensitiveNames } from '../security/sensitive.ts';
import { remoteApi, seg } from './api-client.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliSecrets, cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';

const CONN_ID = /^[\w.-]{1,200}$/;

function checkConnId(id: string) {
  if (!CONN_ID.test(id)) throw new CliError(`Invalid conn_id '${id}': use 1 to 200 letters, digits, '_', '.' or '-'`);
}

function checkExtra(extra: string | null, where: string) {
  if (extra === null) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(extra);
  } catch {
    throw new CliError(`${where}: extra must be a JSON object, got text that is not JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${where}: extra must be a JSON object`);
}

function withoutId(c: ConnectionRow): ConnectionFields {
  const { conn_id: _id, ...fields } = c;
  return fields;
}

/** A connection as `get` and `list` show it: password and sensitive extra fields masked, also inside the URI. */
function shown(c: ConnectionRow, sensitive: SensitiveNames) {
  const masked = { ...c, password: c.password === null ? null : MASK, extra: sensitive.redactExtra(c.extra) };
  let extraDejson: unknown;
  try {
    extraDejson = masked.extra ? JSON.parse(masked.extra) : {};
  } catch {
    extraDejson = {};
  }
  return {
    conn_id: c.conn_id,
    conn_type: c.conn_type,
    description: c.description,
    host: c.host,
    schema: c.schema,
    login: c.login,
    password: masked.password,
    port: c.port,
    extra_dejson: extraDejson,
    get_uri: connectionToUri(masked, { maskPassword: true }),
    // Connection.as_json in Airflow: the form AIRFLOW_CONN_* also accepts
    as_json: JSON.stringify(connectionToJson(withoutId(masked))),
  };
}

/** Every entry of a connections file (id → JSON form or URI), or an error naming the first wrong one. */
export function parseConnectionsFile(text: string, file: string): ConnectionRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid JSON (${(err as Error).message}); nothing was imported`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new CliError(`${file} must hold a JSON object of conn_id → connection; nothing was imported`);
  return Object.entries(data).map(([id, value]) => {
    const where = `Invalid connection '${id}' in ${file}`;
    if (!CONN_ID.test(id)) throw new CliError(`${where}: use 1 to 200 letters, digits, '_', '.' or '-' in a conn_id; nothing was imported`);
    try {
      let fields: ConnectionFields;
      if (typeof value === 'string') fields = parseConnectionUri(value);
      else if (value && typeof value === 'object' && !Array.isArray(value)) {
        const v = value as Record<string, unknown>;
        if (v.conn_id !== undefined && v.conn_id !== id) throw new ConnectionFormatError(`its conn_id '${String(v.conn_id)}' differs from its key`);
        fields = parseConnectionJson(v);
      } else throw new ConnectionFormatError('expected a connection object or URI string');
      checkExtra(fields.extra, where);
      return { conn_id: id, ...fields };
    } catch (err) {
      if (err instanceof CliError) throw new CliError(`${err.message}; nothing was imported`);
      throw new CliError(`${where}: ${(err as Error).message}; nothing was imported`);
    }
  });
}

/** Airflow's export format: every field, extra as its JSON text. */
function exportEntry(c: ConnectionRow) {
  return { conn_type: c.conn_type, description: c.description, login: c.login, password: c.password, host: c.host, port: c.port, schema: c.schema, extra: c.extra };
}

interface AddOptions {
  connUri?: string;
  connJson?: string;
  connType?: string;
  connHost?: string;
  connLogin?: string;
  connPassword?: string;
  connSchema?: string;
  connPort?: string;
  connExtra?: string;
  connDescription?: string;
}

function connectionFromOptions(id: string, o: AddOptions): ConnectionRow {
  if (o.connUri && o.connJson) throw new CliError('Give either --conn-uri or --conn-json, not both');
  let fields: ConnectionFields;
  try {
    if (o.connUri) fields = parseConnectionUri(o.connUri);
    else if (o.connJson) fields = parseConnectionJson(o.connJson);
    else if (o.connType) fields = emptyConnection(o.connType);
    else throw new CliError('Give --conn-uri, --conn-json, or --conn-type with the other --conn-* fields');
  } catch (err) {
    if (err instanceof ConnectionFormatError) throw new CliError(err.message);
    throw err;
  }
  if ((o.connUri || o.connJson) && (o.connType || o.connHost || o.connLogin || o.connPassword || o.connSchema || o.connPort)) {
    throw new CliError('--conn-uri and --conn-json hold the whole connection: do not combine them with --conn-type, --conn-host, --conn-login, --conn-password, --conn-schema or --conn-port');
  }
  if (o.connHost !== undefined) fields.host = o.connHost;
  if (o.connLogin !== undefined) fields.login = o.connLogin;
  if (o.connPassword !== undefined) fields.password = o.connPassword;
  if (o.connSchema !== undefined) fields.schema = o.connSchema;
  if (o.connPort !== undefined) {
    if (!/^\d+$/.test(o.connPort) || Number(o.connPort) > 65535) throw new CliError(`--conn-port must be a port number, got '${o.connPort}'`);
    fields.port = Number(o.connPort);
  }
  if (o.connExtra !== undefined) fields.extra = o.connExtra;
  if (o.connDescription !== undefined) fields.description = o.connDescription;
  checkExtra(fields.extra, `Connection ${id}`);
  return { conn_id: id, ...fields };
}

interface ApiConnection {
  connection_id: string;
  conn_type: string;
  description: string | null;
  host: string | null;
  login: string | null;
  schema: string | null;
  port: number | null;
  password: string | null;
  extra: string | null;
}

/** A connection as the API shows it (password and sensitive extras already masked) in the CLI's row shape. */
const fromApi = (c: ApiConnection): ConnectionRow => ({ conn_id: c.connection_id, conn_type: c.conn_type, description: c.description, host: c.host, login: c.login, schema: c.schema, port: c.port, password: c.password, extra: c.extra });

/** The API's ConnectionBody for a connection given on the command line. */
const toApi = (c: ConnectionRow) => ({ connection_id: c.conn_id, conn_type: c.conn_type, description: c.description, host: c.host, login: c.login, schema: c.schema, port: c.port, password: c.password, extra: c.extra });

export function registerConnectionCommands(program: Command, config: () => Config) {
  const connections = program.command('connections').description('Manage connections');
  const output = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml', 'plain']).default('table');

  connections
    .command('add <conn_id>')
    .description('Add a connection, from a URI, JSON, or separate fields')
    .option('--conn-uri <uri>', 'conn-type://login:password@host:port/schema?extra_key=value')
    .option('--conn-json <json>', '{"conn_type": …, "host": …, "login": …, "password": …, "port": …, "schema": …, "extra": {…}}')
    .option('--conn-type <type>', 'connection type (postgres, http, aws, fs…)')
    .option('--conn-host <host>', 'host')
    .option('--conn-login <login>', 'login')
    .option('--conn-password <password>', 'password')
    .option('--conn-schema <schema>', 'schema (the database, for databases)')
    .option('--conn-port <port>', 'port')
    .option('--conn-extra <json>', 'extra, a JSON object')
    .option('--conn-description <text>', 'description')
    .action(async (id: string, o: AddOptions) => {
      checkConnId(id);
      const conn = connectionFromOptions(id, o);
      const api = remoteApi();
      if (api) {
        await api.post('/api/v2/connections', toApi(conn)).catch((err: Error) => {
          throw /HTTP 409/.test(err.message) ? new CliError(`A connection with \`conn_id\`=${id} already exists.`) : err;
        });
        const sensitive = SensitiveNames.fromConfig(config());
        process.stdout.write(`Successfully added \`conn_id\`=${id} : ${connectionToUri({ ...conn, extra: sensitive.redactExtra(conn.extra) }, { maskPassword: true })}\n`);
        return;
      }
      const { config: cfg, cipher, sensitive } = cliSecrets(config());
      await withDb(cfg, (d) =>
        inTransaction(d.pool, async (db) => {
          if (!(await insertConnection(db, cipher, conn))) throw new CliError(`A connection with \`conn_id\`=${id} already exists.`);
          await logEvent(db, { event: 'cli_connections_add', owner: cliUser(), extra: { conn_id: id } });
        }),
      );
      process.stdout.write(`Successfully added \`conn_id\`=${id} : ${connectionToUri({ ...conn, extra: sensitive.redactExtra(conn.extra) }, { maskPassword: true })}\n`);
    });

  connections
    .command('delete <conn_id>')
    .description('Delete a connection')
    .action(async (id: string) => {
      const api = remoteApi();
      if (api) {
        await api.delete(`/api/v2/connections/${seg(id)}`).catch((err: Error) => {
          throw /HTTP 404/.test(err.message) ? new CliError(`Did not find a connection with \`conn_id\`=${id}`) : err;
        });
        process.stdout.write(`Successfully deleted connection with \`conn_id\`=${id}\n`);
        return;
      }
      const { config: cfg } = cliSecrets(config());
      await withDb(cfg, (d) =>
        inTransaction(d.pool, async (db) => {
          if (!(await deleteConnection(db, id))) throw new CliError(`Did not find a connection with \`conn_id\`=${id}`);
          await logEvent(db, { event: 'cli_connections_delete', owner: cliUser(), extra: { conn_id: id } });
        }),
      );
      process.stdout.write(`Successfully deleted connection with \`conn_id\`=${id}\n`);
    });

  connections
    .command('get <conn_id>')
    .description('Show a connection (an AIRFLOW_CONN_/UPDRAFT_CONN_ environment variable wins, as for tasks)')
    .addOption(output())
    .action(async (id: string, o: { output: OutputFormat }) => {
      const api = remoteApi();
      if (api) {
        const c = await api.get<ApiConnection>(`/api/v2/connections/${seg(id)}`).catch((err: Error) => {
          throw /HTTP 404/.test(err.message) ? new CliError(`The conn_id \`${id}\` isn't defined`) : err;
        });
        printRows([shown(fromApi(c), SensitiveNames.fromConfig(config()))], o.output);
        return;
      }
      const { config: cfg, cipher, sensitive } = cliSecrets(config());
      let conn: ConnectionRow | null;
      try {
        const fromEnv = connectionFromEnv(id);
        conn = fromEnv ? { conn_id: id, ...fromEnv } : await withDb(cfg, (d) => getConnection(d.pool, cipher, id));
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError((err as Error).message);
      }
      if (!conn) throw new CliError(`The conn_id \`${id}\` isn't defined`);
      printRows([shown(conn, sensitive)], o.output);
    });

  connections
    .command('list')
    .description('List the connections in the database (passwords shown as ***)')
    .option('--conn-id <conn_id>', 'only this connection')
    .addOption(output())
    .action(async (o: { output: OutputFormat; connId?: string }) => {
      const api = remoteApi();
      if (api) {
        const { connections: rows } = await api.get<{ connections: ApiConnection[] }>('/api/v2/connections?limit=10000&order_by=connection_id');
        const sensitive = SensitiveNames.fromConfig(config());
        printRows(rows.filter((c) => !o.connId || c.connection_id === o.connId).map((c) => shown(fromApi(c), sensitive)), o.output, ['conn_id', 'conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra_dejson']);
        return;
      }
      const { config: cfg, cipher, sensitive } = cliSecrets(config());
      await withDb(cfg, async (d) => {
        const { connections: rows } = await listConnections(d.pool, cipher, { orderBy: 'conn_id', idPatterns: o.connId ? [o.connId.replace(/[\\%_]/g, '\\$&')] : undefined });
        printRows(rows.map((c) => shown(c, sensitive)), o.output, ['conn_id', 'conn_type', 'description', 'host', 'schema', 'login', 'password', 'port', 'extra_dejson']);
      });
    });

  connections
    .command('import <file>')
    .description('Import connections from a JSON file of conn_id → connection (object or URI); an invalid entry imports nothing')
    .option('--overwrite', 'replace connections that exist (default: skip them)')
    .action(async (file: string, o: { overwrite?: boolean }) => {
      if (!fs.existsSync(file)) throw new CliError(`Missing connections file: ${file}`);
      const entries = parseConnectionsFile(fs.readFileSync(file, 'utf8'), file);
      const api = remoteApi();
      if (api) {
        const r = await api.patch('/api/v2/connections', { actions: [{ action: 'create', action_on_existence: o.overwrite ? 'overwrite' : 'skip', entities: entries.map(toApi) }] });
        if (r.create?.errors?.length) throw new CliError(`${r.create.errors.map((e: { error: string }) => e.error).join('; ')}; nothing was imported`);
        const done = new Set<string>(r.create?.success ?? []);
        process.stdout.write(`${entries.map((c) => (done.has(c.conn_id) ? `Imported connection ${c.conn_id}` : `Could not import connection ${c.conn_id}: connection already exists.`)).join('\n')}\n`);
        return;
      }
      const { config: cfg, cipher } = cliSecrets(config());
      const lines = await withDb(cfg, (d) =>
        inTransaction(d.pool, async (db) => {
          const out: string[] = [];
          for (const c of entries) {
            if (await insertConnection(db, cipher, c)) out.push(`Imported connection ${c.conn_id}`);
            else if (o.overwrite) {
              await replaceConnection(db, cipher, c);
              out.push(`Imported connection ${c.conn_id} (replaced the existing one)`);
            } else out.push(`Could not import connection ${c.conn_id}: connection already exists.`);
          }
          await logEvent(db, { event: 'cli_connections_import', owner: cliUser(), extra: { file, conn_ids: entries.map((c) => c.conn_id) } });
          return out;
        }),
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  connections
    .command('export <file>')
    .description('Export every connection to a JSON file (- for standard output); passwords are written in clear text')
    .action(async (file: string) => {
      if (remoteApi()) throw new CliError('connections export works on the local installation only: the API shows passwords as ***, so an export through it could not be imported back');
      const { config: cfg, cipher } = cliSecrets(config());
      const rows = await withDb(cfg, async (d) => (await listConnections(d.pool, cipher, { orderBy: 'conn_id' })).connections);
      const text = `${JSON.stringify(Object.fromEntries(rows.map((c) => [c.conn_id, exportEntry(c)])), null, 2)}\n`;
      if (file === '-') {
        process.stdout.write(text);
        return;
      }
      // the file holds passwords in clear: readable by its owner only
      fs.writeFileSync(file, text, { mode: 0o600 });
      process.stdout.write(`Connections successfully exported to ${file}.\n`);
    });
}

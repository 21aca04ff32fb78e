/**
 * /api/v2/connections: list, get, create, patch (with update_mask), delete,
 * bulk actions and the connection test, per Airflow's spec. Passwords come
 * back as *** and sensitive fields of extra are masked, as Airflow 3 does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.ts';
import { testConnection } from '../../connections/test-connection.ts';
import type { ConnectionFields } from '../../connections/uri.ts';
import { deleteConnection, getConnection, insertConnection, listConnections, replaceConnection, type ConnectionRow } from '../../db/sql/connections.ts';
import { logEvent } from '../../db/sql/event-log.ts';
import { inTransaction, type Queryable } from '../../db/sql/queryable.ts';
import { MASK, unmaskExtra } from '../../security/sensitive.ts';
import { badRequest, conflict, forbidden, HttpError, notFound } from '../errors.ts';
import { runBulk } from './bulk.ts';
import { likePatterns, orderBy, paging } from './pagination.ts';
import type { SecretRoutesDeps } from './variables.ts';

const ORDER_COLUMNS = { conn_id: 'conn_id', connection_id: 'conn_id', conn_type: 'conn_type', description: 'description', host: 'host', port: 'port', id: 'id' };
const FIELDS = ['conn_type', 'description', 'host', 'login', 'schema', 'port', 'password', 'extra'] as const;
type Field = (typeof FIELDS)[number];

interface ConnectionInput {
  conn: ConnectionRow;
  given: Set<Field>;
}

const unprocessable = (detail: string) => new HttpError(422, detail);

/** Validates a ConnectionBody. */
export function parseConnectionBody(body: unknown, where = 'body'): ConnectionInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw unprocessable(`${where} must be a JSON object {"connection_id": …, "conn_type": …, …}`);
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'connection_id' && k !== 'team_name' && !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw unprocessable(`${where}: unknown field(s) ${unknown.join(', ')}`);
  if (typeof b.connection_id !== 'string' || !/^[\w.-]+$/.test(b.connection_id) || b.connection_id.length > 200) {
    throw unprocessable(`${where}: connection_id must be 1 to 200 letters, digits, '_', '.' or '-'`);
  }
  if (typeof b.conn_type !== 'string' || !b.conn_type) throw unprocessable(`${where}: conn_type is required`);
  for (const f of ['description', 'host', 'login', 'schema', 'password', 'extra'] as const) {
    if (b[f] !== undefined && b[f] !== null && typeof b[f] !== 'string') throw unprocessable(`${where}: ${f} must be a string or null`);
  }
  if (b.port !== undefined && b.port !== null && (!Number.isInteger(b.port) || (b.port as number) < 0 || (b.port as number) > 65535)) throw unprocessable(`${where}: port must be an integer`);
  let extra = (b.extra as string | null | undefined) ?? null;
  if (extra === '') extra = '{}';
  if (extra !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(extra);
    } catch {
      throw unprocessable(`${where}: extra must be a JSON object such as {"key": "value"}, got text that is not JSON`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw unprocessable(`${where}: extra must be a JSON object such as {"key": "value"}`);
  }
  const str = (f: 'description' | 'host' | 'login' | 'schema' | 'password') => (b[f] as string | null | undefined) ?? null;
  return {
    conn: {
      conn_id: b.connection_id,
      conn_type: b.conn_type,
      description: str('description'),
      host: str('host'),
      login: str('login'),
      schema: str('schema'),
      password: str('password'),
      port: (b.port as number | null | undefined) ?? null,
      extra,
    },
    given: new Set(FIELDS.filter((f) => f in b)),
  };
}

function fieldsToUpdate(given: Set<Field>, mask: unknown): Set<Field> {
  if (mask === undefined || mask === null) return given;
  const masked = (Array.isArray(mask) ? mask : [mask]).flatMap((m) => String(m).split(',')).map((m) => m.trim());
  const bad = masked.filter((m) => !(FIELDS as readonly string[]).includes(m));
  if (bad.length) throw badRequest(`update_mask field(s) ${bad.join(', ')} cannot be updated: use ${FIELDS.join(', ')}`);
  return new Set(masked as Field[]);
}

/**
 * The stored connection with the chosen fields of `input` written over it.
 * A password of *** or masked extra fields mean "unchanged": clients only
 * ever see the masked form and send it back when they edit something else.
 */
function merged(stored: ConnectionRow, input: ConnectionRow, fields: Set<Field>): ConnectionRow {
  const next: ConnectionRow = { ...stored };
  for (const f of fields) (next as unknown as Record<string, unknown>)[f] = input[f];
  if (fields.has('password') && input.password === MASK) next.password = stored.password;
  if (fields.has('extra')) next.extra = unmaskExtra(input.extra, stored.extra);
  return next;
}

const blank = { description: null, host: null, login: null, schema: null, password: null, port: null, extra: null };
const DEFAULT_CONNECTIONS: ConnectionRow[] = [
  { ...blank, conn_id: 'aws_default', conn_type: 'aws' },
  { ...blank, conn_id: 'emr_default', conn_type: 'emr', extra: '{}' },
  { ...blank, conn_id: 'fs_default', conn_type: 'fs', extra: '{"path": "/"}' },
  { ...blank, conn_id: 'http_default', conn_type: 'http', host: 'https://www.httpbin.org/' },
  { ...blank, conn_id: 'postgres_default', conn_type: 'postgres', host: 'localhost', login: 'postgres', schema: 'airflow' },
  { ...blank, conn_id: 'smtp_default', conn_type: 'smtp', host: 'localhost', port: 25, extra: '{"from_email": "airflow@example.com"}' },
];

export function registerConnectionRoutes(app: FastifyInstance, deps: SecretRoutesDeps & { config: Config }) {
  const { pool, cipher, sensitive, config } = deps;
  const response = (c: ConnectionRow) => ({
    connection_id: c.conn_id,
    conn_type: c.conn_type,
    description: c.description,
    host: c.host,
    login: c.login,
    schema: c.schema,
    port: c.port,
    password: c.password === null ? null : MASK,
    extra: sensitive.redactExtra(c.extra),
    team_name: null,
  });
  const audit = (db: Queryable, req: FastifyRequest, event: string, extra: unknown) => logEvent(db, { event, owner: req.user?.sub ?? null, extra });
  const missing = (id: string) => notFound(`The Connection with connection_id: \`${id}\` was not found`);

  app.get('/api/v2/connections', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const { connections, total } = await listConnections(pool, cipher, {
      idPatterns: likePatterns(q.connection_id_pattern),
      orderBy: orderBy(q.order_by, ORDER_COLUMNS, 'id'),
      limit,
      offset,
    });
    return { connections: connections.map(response), total_entries: total };
  });

  app.get('/api/v2/connections/:connection_id', async (req) => {
    const { connection_id: id } = req.params as { connection_id: string };
    const c = await getConnection(pool, cipher, id);
    if (!c) throw missing(id);
    return response(c);
  });

  app.post('/api/v2/connections', async (req, reply) => {
    const { conn } = parseConnectionBody(req.body);
    await inTransaction(pool, async (db) => {
      if (!(await insertConnection(db, cipher, conn))) throw conflict(`The Connection with connection_id: \`${conn.conn_id}\` already exists`);
      await audit(db, req, 'post_connection', { connection_id: conn.conn_id });
    });
    reply.code(201);
    return response(conn);
  });

  app.patch('/api/v2/connections/:connection_id', async (req) => {
    const { connection_id: id } = req.params as { connection_id: string };
    const input = parseConnectionBody(req.body);
    if (input.conn.conn_id !== id) throw badRequest('The connection_id in the request body does not match the URL parameter');
    const fields = fieldsToUpdate(input.given, (req.query as Record<string, unknown>).update_mask);
    const updated = await inTransaction(pool, async (db) => {
      const stored = await getConnection(db, cipher, id);
      if (!stored) throw missing(id);
      const next = merged(stored, input.conn, fields);
      await replaceConnection(db, cipher, next);
      await audit(db, req, 'patch_connection', { connection_id: id, fields: [...fields] });
      return next;
    });
    return response(updated);
  });

  app.delete('/api/v2/connections/:connection_id', async (req, reply) => {
    const { connection_id: id } = req.params as { connection_id: string };
    await inTransaction(pool, async (db) => {
      if (!(await deleteConnection(db, id))) throw missing(id);
      await audit(db, req, 'delete_connection', { connection_id: id });
    });
    reply.code(204);
  });

  // Airflow's `create_default_connections`: the conventional *_default ids operators fall back on; existing ones are left alone
  app.post('/api/v2/connections/defaults', async (req, reply) => {
    await inTransaction(pool, async (db) => {
      const created: string[] = [];
      for (const c of DEFAULT_CONNECTIONS) if (await insertConnection(db, cipher, c)) created.push(c.conn_id);
      await audit(db, req, 'create_default_connections', { connection_ids: created });
    });
    reply.code(204);
  });

  app.post('/api/v2/connections/test', async (req) => {
    if (config.str('core', 'test_connection').toLowerCase() !== 'enabled') {
      throw forbidden('Testing connections is disabled in Updraft configuration ([core] test_connection). Contact your deployment admin to enable it.');
    }
    const { conn, given } = parseConnectionBody(req.body);
    // testing a stored connection from a form that shows *** must use the stored secrets
    const stored = await getConnection(pool, cipher, conn.conn_id);
    const tested: ConnectionFields = stored ? merged(stored, conn, new Set([...given, 'conn_type'])) : conn;
    return testConnection(tested);
  });

  app.patch('/api/v2/connections', async (req) =>
    runBulk(pool, req.body, {
      noun: 'Connections',
      parse: (e, where) => {
        const input = parseConnectionBody(e, where);
        return { ...input, id: input.conn.conn_id };
      },
      parseId: (e, where) => (typeof e === 'string' ? e : parseConnectionBody(e, where).conn.conn_id),
      existing: async (db, ids) => {
        const found = new Set<string>();
        for (const id of ids) if (await getConnection(db, cipher, id)) found.add(id);
        return found;
      },
      create: async (db, c) => {
        await insertConnection(db, cipher, c.conn);
      },
      overwrite: async (db, c) => {
        await replaceConnection(db, cipher, c.conn);
      },
      update: async (db, c, mask) => {
        const stored = (await getConnection(db, cipher, c.id)) as ConnectionRow;
        await replaceConnection(db, cipher, merged(stored, c.conn, fieldsToUpdate(c.given, mask ?? undefined)));
      },
      remove: async (db, id) => {
        await deleteConnection(db, id);
      },
      audit: (db, action, ids) => audit(db, req, `bulk_${action}_connections`, { connection_ids: ids }),
    }),
  );
}

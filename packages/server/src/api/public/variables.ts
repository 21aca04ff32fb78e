/**
 * /api/v2/variables: list, get, create, patch (with update_mask), delete and
 * bulk actions, per Airflow's spec. Values of sensitive keys come back as ***.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { logEvent } from '../../db/sql/event-log.ts';
import { inTransaction, type Queryable } from '../../db/sql/queryable.ts';
import { runBulk } from './bulk.ts';
import { deleteVariable, existingVariableKeys, getVariable, insertVariable, listVariables, updateVariable, type Variable } from '../../db/sql/variables.ts';
import type { SecretCipher } from '../../security/encryption.ts';
import type { SensitiveNames } from '../../security/sensitive.ts';
import { badRequest, conflict, HttpError, notFound } from '../errors.ts';
import { likePatterns, orderBy, paging } from './pagination.ts';

export interface SecretRoutesDeps {
  pool: pg.Pool;
  cipher: SecretCipher;
  sensitive: SensitiveNames;
}

const ORDER_COLUMNS = { key: 'key', id: 'id', _val: 'val', description: 'description', is_encrypted: 'is_encrypted' };
const MAX_KEY_LENGTH = 250;

interface VariableInput {
  key: string;
  /** the value as stored: JSON values other than strings are stored as their JSON text */
  val: string;
  description: string | null;
  /** fields the body carried (PATCH updates only those) */
  given: Set<string>;
}

const unprocessable = (detail: string) => new HttpError(422, detail);

/** Validates a VariableBody; `value` may be any JSON value, as in Airflow 3. */
export function parseVariableBody(body: unknown, where = 'body'): VariableInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw unprocessable(`${where} must be a JSON object {"key": …, "value": …, "description": …}`);
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['key', 'value', 'description', 'team_name'].includes(k));
  if (unknown.length) throw unprocessable(`${where}: unknown field(s) ${unknown.join(', ')}`);
  if (typeof b.key !== 'string' || b.key.trim() === '') throw unprocessable(`${where}: key must be a non-empty string`);
  if (b.key.length > MAX_KEY_LENGTH) throw unprocessable(`${where}: key is longer than ${MAX_KEY_LENGTH} characters`);
  if (!('value' in b) || b.value === undefined) throw unprocessable(`${where}: value is required`);
  if (b.description !== undefined && b.description !== null && typeof b.description !== 'string') throw unprocessable(`${where}: description must be a string or null`);
  return {
    key: b.key,
    val: typeof b.value === 'string' ? b.value : JSON.stringify(b.value),
    description: (b.description as string | null | undefined) ?? null,
    given: new Set(Object.keys(b)),
  };
}

/** Which fields a PATCH changes: those in the body, narrowed to update_mask when one is given. */
function fieldsToUpdate(given: Set<string>, mask: unknown): { val: boolean; description: boolean } {
  const masked = mask === undefined ? null : (Array.isArray(mask) ? mask : [mask]).flatMap((m) => String(m).split(',')).map((m) => m.trim());
  if (masked) {
    const bad = masked.filter((m) => !['value', 'description'].includes(m));
    if (bad.length) throw badRequest(`update_mask field(s) ${bad.join(', ')} cannot be updated: use value or description`);
    return { val: masked.includes('value'), description: masked.includes('description') };
  }
  return { val: given.has('value'), description: given.has('description') };
}

export function registerVariableRoutes(app: FastifyInstance, deps: SecretRoutesDeps) {
  const { pool, cipher, sensitive } = deps;
  const response = (v: Variable) => ({
    key: v.key,
    value: sensitive.variableValue(v.key, v.val),
    description: v.description,
    is_encrypted: v.is_encrypted,
    team_name: null,
  });
  const audit = (db: Queryable, req: FastifyRequest, event: string, extra: unknown) => logEvent(db, { event, owner: req.user?.sub ?? null, extra });
  const missing = (key: string) => notFound(`The Variable with key: \`${key}\` was not found`);

  app.get('/api/v2/variables', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const { variables, total } = await listVariables(pool, cipher, {
      keyPatterns: likePatterns(q.variable_key_pattern),
      orderBy: orderBy(q.order_by, ORDER_COLUMNS, 'id'),
      limit,
      offset,
    });
    return { variables: variables.map(response), total_entries: total };
  });

  app.get('/api/v2/variables/:variable_key', async (req) => {
    const { variable_key: key } = req.params as { variable_key: string };
    const v = await getVariable(pool, cipher, key);
    if (!v) throw missing(key);
    return response(v);
  });

  app.post('/api/v2/variables', async (req, reply) => {
    const input = parseVariableBody(req.body);
    const created = await inTransaction(pool, async (db) => {
      if (!(await insertVariable(db, cipher, input.key, input.val, input.description))) throw conflict(`The Variable with key: \`${input.key}\` already exists`);
      await audit(db, req, 'post_variable', { key: input.key });
      return getVariable(db, cipher, input.key);
    });
    reply.code(201);
    return response(created as Variable);
  });

  app.patch('/api/v2/variables/:variable_key', async (req) => {
    const { variable_key: key } = req.params as { variable_key: string };
    const input = parseVariableBody(req.body);
    if (input.key !== key) throw badRequest('Invalid body, key from request body doesn\'t match uri parameter');
    const fields = fieldsToUpdate(input.given, (req.query as Record<string, unknown>).update_mask);
    const updated = await inTransaction(pool, async (db) => {
      const v = await updateVariable(db, cipher, key, { val: fields.val ? input.val : undefined, description: fields.description ? input.description : undefined });
      if (!v) throw missing(key);
      await audit(db, req, 'patch_variable', { key, fields: Object.keys(fields).filter((f) => fields[f as keyof typeof fields]) });
      return v;
    });
    return response(updated);
  });

  app.delete('/api/v2/variables/:variable_key', async (req, reply) => {
    const { variable_key: key } = req.params as { variable_key: string };
    await inTransaction(pool, async (db) => {
      if (!(await deleteVariable(db, key))) throw missing(key);
      await audit(db, req, 'delete_variable', { key });
    });
    reply.code(204);
  });

  app.patch('/api/v2/variables', async (req) =>
    runBulk(pool, req.body, {
      noun: 'Variables',
      parse: (e, where) => {
        const v = parseVariableBody(e, where);
        return { ...v, id: v.key };
      },
      parseId: (e, where) => (typeof e === 'string' ? e : parseVariableBody(e, where).key),
      existing: (db, keys) => existingVariableKeys(db, keys),
      create: async (db, v) => {
        await insertVariable(db, cipher, v.key, v.val, v.description);
      },
      overwrite: async (db, v) => {
        await updateVariable(db, cipher, v.key, { val: v.val, description: v.description });
      },
      update: async (db, v, mask) => {
        const fields = fieldsToUpdate(v.given, mask ?? undefined);
        await updateVariable(db, cipher, v.key, { val: fields.val ? v.val : undefined, description: fields.description ? v.description : undefined });
      },
      remove: async (db, key) => {
        await deleteVariable(db, key);
      },
      audit: (db, action, keys) => audit(db, req, `bulk_${action}_variables`, { keys }),
    }),
  );
}

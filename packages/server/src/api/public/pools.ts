/**
 * /api/v2/pools: list, get, create, patch (with update_mask), delete and bulk,
 * with each pool's slots in use by state. default_pool cannot be deleted or
 * renamed: tasks that name no pool use it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { logEvent } from '../../db/sql/event-log.ts';
import { DEFAULT_POOL, deletePool, existingPoolNames, getPool, insertPool, listPools, updatePool, type PoolRow } from '../../db/sql/pools.ts';
import { inTransaction, type Queryable } from '../../db/sql/queryable.ts';
import { badRequest, conflict, notFound, unprocessable } from '../errors.ts';
import { runBulk } from './bulk.ts';
import { likePatterns, orderBy, paging } from './pagination.ts';

const ORDER_COLUMNS = { id: 'p.pool', pool: 'p.pool', name: 'p.pool', slots: 'p.slots' };
const FIELDS = ['name', 'slots', 'description', 'include_deferred'] as const;
type Field = (typeof FIELDS)[number];

interface PoolInput {
  id: string;
  name: string;
  slots?: number;
  description?: string | null;
  include_deferred?: boolean;
  given: Set<Field>;
}

export function poolResponse(p: PoolRow) {
  const occupied = p.running_slots + p.queued_slots + (p.include_deferred ? p.deferred_slots : 0);
  return {
    name: p.pool,
    slots: p.slots,
    description: p.description,
    include_deferred: p.include_deferred,
    occupied_slots: occupied,
    running_slots: p.running_slots,
    queued_slots: p.queued_slots,
    scheduled_slots: p.scheduled_slots,
    deferred_slots: p.deferred_slots,
    // -1 slots means unlimited, as in Airflow
    open_slots: p.slots < 0 ? -1 : Math.max(0, p.slots - occupied),
    team_name: null,
  };
}

/** PoolBody (create: name and slots required) or PoolPatchBody (`pool` or `name` for the name). */
function parsePool(body: unknown, where: string, creating: boolean): PoolInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw unprocessable(`${where} must be a JSON object {"name": …, "slots": …}`);
  const b = body as Record<string, unknown>;
  const allowed = creating ? ['name', 'slots', 'description', 'include_deferred', 'team_name'] : ['name', 'pool', 'slots', 'description', 'include_deferred', 'team_name'];
  const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
  if (unknown.length) throw unprocessable(`${where}: Extra inputs are not permitted: ${unknown.join(', ')}`);
  const name = b.name ?? b.pool;
  if (name !== undefined && (typeof name !== 'string' || !name.trim() || name.length > 256)) throw unprocessable(`${where}: name must be a non-empty string of at most 256 characters`);
  if (creating && name === undefined) throw unprocessable(`${where}: name is required`);
  if (b.slots !== undefined && (!Number.isInteger(b.slots) || (b.slots as number) < -1)) throw unprocessable(`${where}: slots must be an integer of at least -1 (-1 means unlimited)`);
  if (creating && b.slots === undefined) throw unprocessable(`${where}: slots is required`);
  if (b.description !== undefined && b.description !== null && typeof b.description !== 'string') throw unprocessable(`${where}: description must be a string or null`);
  if (b.include_deferred !== undefined && typeof b.include_deferred !== 'boolean') throw unprocessable(`${where}: include_deferred must be true or false`);
  const given = new Set<Field>(FIELDS.filter((f) => f in b || (f === 'name' && 'pool' in b)));
  return {
    id: name as string,
    name: name as string,
    slots: b.slots as number | undefined,
    description: b.description as string | null | undefined,
    include_deferred: b.include_deferred as boolean | undefined,
    given,
  };
}

function fieldsToUpdate(input: PoolInput, mask: unknown): Set<Field> {
  if (mask === undefined || mask === null) return input.given;
  const masked = (Array.isArray(mask) ? mask : [mask]).flatMap((m) => String(m).split(',')).map((m) => m.trim()).map((m) => (m === 'pool' ? 'name' : m));
  const bad = masked.filter((m) => !(FIELDS as readonly string[]).includes(m));
  if (bad.length) throw badRequest(`Invalid update_mask field(s): ${bad.join(', ')}; use ${FIELDS.join(', ')}`);
  return new Set(masked as Field[]);
}

async function applyUpdate(db: Queryable, current: string, input: PoolInput, fields: Set<Field>) {
  if (current === DEFAULT_POOL && fields.has('name') && input.name !== DEFAULT_POOL) throw badRequest('Only slots, description and include_deferred can be modified on Default Pool');
  if (fields.has('slots') && input.slots === undefined) throw unprocessable('slots must be given to update it');
  await updatePool(db, current, {
    name: fields.has('name') ? input.name : undefined,
    slots: fields.has('slots') ? input.slots : undefined,
    description: fields.has('description') ? (input.description ?? null) : undefined,
    include_deferred: fields.has('include_deferred') ? (input.include_deferred ?? false) : undefined,
  });
}

export function registerPoolRoutes(app: FastifyInstance, pool: pg.Pool) {
  const audit = (db: Queryable, req: FastifyRequest, event: string, extra: unknown) => logEvent(db, { event, owner: req.user?.sub ?? null, extra });
  const missing = (name: string) => notFound(`The Pool with name: \`${name}\` was not found`);

  app.get('/api/v2/pools', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const { pools, total } = await listPools(pool, { namePatterns: likePatterns(q.pool_name_pattern), orderBy: orderBy(q.order_by, ORDER_COLUMNS, 'id'), limit, offset });
    return { pools: pools.map(poolResponse), total_entries: total };
  });

  app.get('/api/v2/pools/:pool_name', async (req) => {
    const { pool_name } = req.params as { pool_name: string };
    const p = await getPool(pool, pool_name);
    if (!p) throw missing(pool_name);
    return poolResponse(p);
  });

  app.post('/api/v2/pools', async (req, reply) => {
    const input = parsePool(req.body, 'body', true);
    const created = await inTransaction(pool, async (db) => {
      const ok = await insertPool(db, { name: input.name, slots: input.slots as number, description: input.description ?? null, include_deferred: input.include_deferred ?? false });
      if (!ok) throw conflict(`The Pool with name: \`${input.name}\` already exists`);
      await audit(db, req, 'post_pool', { name: input.name, slots: input.slots });
      return getPool(db, input.name);
    });
    reply.code(201);
    return poolResponse(created as PoolRow);
  });

  app.patch('/api/v2/pools/:pool_name', async (req) => {
    const { pool_name } = req.params as { pool_name: string };
    const input = parsePool(req.body, 'body', false);
    const fields = fieldsToUpdate(input, (req.query as Record<string, unknown>).update_mask);
    const updated = await inTransaction(pool, async (db) => {
      if (!(await getPool(db, pool_name))) throw missing(pool_name);
      if (fields.has('name') && input.name !== pool_name && (await getPool(db, input.name))) throw conflict(`The Pool with name: \`${input.name}\` already exists`);
      await applyUpdate(db, pool_name, input, fields);
      await audit(db, req, 'patch_pool', { name: pool_name, fields: [...fields] });
      return getPool(db, fields.has('name') ? input.name : pool_name);
    });
    return poolResponse(updated as PoolRow);
  });

  app.delete('/api/v2/pools/:pool_name', async (req, reply) => {
    const { pool_name } = req.params as { pool_name: string };
    if (pool_name === DEFAULT_POOL) throw badRequest("Default Pool can't be deleted");
    await inTransaction(pool, async (db) => {
      if (!(await deletePool(db, pool_name))) throw missing(pool_name);
      await audit(db, req, 'delete_pool', { name: pool_name });
    });
    reply.code(204);
  });

  app.patch('/api/v2/pools', async (req) =>
    runBulk(pool, req.body, {
      noun: 'Pools',
      parse: (e, where) => {
        const input = parsePool(e, where, false);
        if (input.name === undefined) throw unprocessable(`${where}: name is required`);
        return input;
      },
      parseId: (e, where) => (typeof e === 'string' ? e : parsePool(e, where, false).name),
      existing: (db, ids) => existingPoolNames(db, ids),
      create: async (db, p) => {
        if (p.slots === undefined) throw unprocessable(`slots is required to create pool ${p.name}`);
        await insertPool(db, { name: p.name, slots: p.slots, description: p.description ?? null, include_deferred: p.include_deferred ?? false });
      },
      overwrite: (db, p) => applyUpdate(db, p.name, p, new Set(FIELDS.filter((f) => f !== 'name'))),
      update: (db, p, mask) => applyUpdate(db, p.name, p, mask ? fieldsToUpdate(p, mask) : new Set([...p.given].filter((f) => f !== 'name'))),
      remove: async (db, id) => {
        if (id === DEFAULT_POOL) throw badRequest("Default Pool can't be deleted");
        await deletePool(db, id);
      },
      audit: (db, action, ids) => audit(db, req, `bulk_${action}_pools`, { names: ids }),
    }),
  );
}

/**
 * Airflow's bulk endpoints (PATCH on a collection with {"actions": […]}):
 * each action is create, update or delete over a list of entities, is
 * all-or-nothing in its own transaction, and reports the ids it changed or
 * the error that stopped it.
 */
import type pg from 'pg';
import { inTransaction, type Queryable } from '../../db/sql/queryable.ts';
import { conflict, HttpError, notFound, unprocessable } from '../errors.ts';

export interface BulkEntity {
  id: string;
}

export interface BulkHandlers<T extends BulkEntity> {
  /** plural noun in messages, e.g. "Pools" */
  noun: string;
  /** a create/update entity from the body; throws 422 when malformed */
  parse(entity: unknown, where: string): T;
  /** a delete entity: an id, or an object carrying it */
  parseId(entity: unknown, where: string): string;
  existing(db: Queryable, ids: string[]): Promise<Set<string>>;
  create(db: Queryable, item: T): Promise<void>;
  /** create with action_on_existence "overwrite" over an existing entity */
  overwrite(db: Queryable, item: T): Promise<void>;
  update(db: Queryable, item: T, updateMask: string[] | null): Promise<void>;
  remove(db: Queryable, id: string): Promise<void>;
  audit(db: Queryable, action: 'create' | 'update' | 'delete', ids: string[]): Promise<void>;
}

interface Action {
  action: 'create' | 'update' | 'delete';
  entities: unknown[];
  action_on_existence?: 'fail' | 'skip' | 'overwrite';
  action_on_non_existence?: 'fail' | 'skip';
  update_mask?: string[] | null;
}

type Outcome = { success: string[]; errors: { error: string; status_code: number }[] };

function parseActions(body: unknown): Action[] {
  const actions = (body as { actions?: unknown } | null)?.actions;
  if (!body || typeof body !== 'object' || !Array.isArray(actions)) throw unprocessable('Send JSON {"actions": [{"action": "create" | "update" | "delete", "entities": […]}, …]}');
  const extra = Object.keys(body).filter((k) => k !== 'actions');
  if (extra.length) throw unprocessable(`Extra inputs are not permitted: ${extra.join(', ')}`);
  return actions.map((raw, i) => {
    const a = raw as Action;
    if (!a || typeof a !== 'object' || !['create', 'update', 'delete'].includes(String(a.action)) || !Array.isArray(a.entities)) {
      throw unprocessable(`actions[${i}]: expected {"action": "create" | "update" | "delete", "entities": […]}`);
    }
    if (a.action_on_existence !== undefined && !['fail', 'skip', 'overwrite'].includes(a.action_on_existence)) throw unprocessable(`actions[${i}].action_on_existence must be fail, skip or overwrite`);
    if (a.action_on_non_existence !== undefined && !['fail', 'skip'].includes(a.action_on_non_existence)) throw unprocessable(`actions[${i}].action_on_non_existence must be fail or skip`);
    if (a.update_mask !== undefined && a.update_mask !== null && (!Array.isArray(a.update_mask) || a.update_mask.some((m) => typeof m !== 'string'))) throw unprocessable(`actions[${i}].update_mask must be a list of field names`);
    return a;
  });
}

export async function runBulk<T extends BulkEntity>(pool: pg.Pool, body: unknown, h: BulkHandlers<T>) {
  const actions = parseActions(body);
  const result: Partial<Record<Action['action'], Outcome>> = {};
  for (const [i, action] of actions.entries()) {
    const outcome = (result[action.action] ??= { success: [], errors: [] });
    try {
      outcome.success.push(...(await inTransaction(pool, (db) => runAction(db, action, i, h))));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      outcome.errors.push({ error: err.message, status_code: err.statusCode });
    }
  }
  return { create: result.create ?? null, update: result.update ?? null, delete: result.delete ?? null };
}

async function runAction<T extends BulkEntity>(db: Queryable, action: Action, index: number, h: BulkHandlers<T>): Promise<string[]> {
  const where = (j: number) => `actions[${index}].entities[${j}]`;
  const done: string[] = [];
  if (action.action === 'delete') {
    const ids = action.entities.map((e, j) => h.parseId(e, where(j)));
    const existing = await h.existing(db, ids);
    const absent = ids.filter((id) => !existing.has(id));
    if (absent.length && (action.action_on_non_existence ?? 'fail') === 'fail') throw notFound(`The ${h.noun} with these ids: ${JSON.stringify(absent)} were not found`);
    for (const id of ids.filter((x) => existing.has(x))) {
      await h.remove(db, id);
      done.push(id);
    }
  } else {
    const items = action.entities.map((e, j) => h.parse(e, where(j)));
    const existing = await h.existing(db, items.map((x) => x.id));
    if (action.action === 'create') {
      const onExistence = action.action_on_existence ?? 'fail';
      const clash = items.filter((x) => existing.has(x.id)).map((x) => x.id);
      if (clash.length && onExistence === 'fail') throw conflict(`The ${h.noun} with these ids: ${JSON.stringify(clash)} already exist`);
      for (const item of items) {
        if (existing.has(item.id)) {
          if (onExistence === 'skip') continue;
          await h.overwrite(db, item);
        } else await h.create(db, item);
        done.push(item.id);
      }
    } else {
      const absent = items.filter((x) => !existing.has(x.id)).map((x) => x.id);
      if (absent.length && (action.action_on_non_existence ?? 'fail') === 'fail') throw notFound(`The ${h.noun} with these ids: ${JSON.stringify(absent)} were not found`);
      for (const item of items.filter((x) => existing.has(x.id))) {
        await h.update(db, item, action.update_mask ?? null);
        done.push(item.id);
      }
    }
  }
  await h.audit(db, action.action, done);
  return done;
}

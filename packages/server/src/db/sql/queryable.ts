import type pg from 'pg';

/** A pool or a checked-out client: every SQL function takes one, so callers choose the transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

/** Runs `fn` in a transaction on its own client. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The result of the last statement of a simple query. Several statements sent
 * as one query (one round trip) come back as one result each; a single
 * statement comes back as its result.
 */
export function lastResult(r: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
  return Array.isArray(r) ? r[r.length - 1] : r;
}

/** A list of uuids as an SQL array literal, for statements sent without parameters (see lastResult). */
export function uuidArrayLiteral(ids: string[]): string {
  for (const id of ids) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id)}`);
  }
  return `'{${ids.join(',')}}'::uuid[]`;
}

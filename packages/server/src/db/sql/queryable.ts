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
 * The results of a simple query, one per statement. Several statements sent as
 * one query (one round trip) come back as a list; a single statement as its result.
 */
export function statementResults(r: pg.QueryResult | pg.QueryResult[]): pg.QueryResult[] {
  return Array.isArray(r) ? r : [r];
}

/** A list of uuids as an SQL array literal, for statements sent without parameters (see statementResults). */
export function uuidArrayLiteral(ids: string[]): string {
  for (const id of ids) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id)}`);
  }
  return `'{${ids.join(',')}}'::uuid[]`;
}

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

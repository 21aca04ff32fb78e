import type { ConnectionInfo } from '@updraft/sdk/runtime';
import type { Queryable } from './queryable.ts';

/** A connection row: the fields task code sees (less the parsed extra), plus a description. */
export type ConnectionRow = Omit<ConnectionInfo, 'extra_dejson'> & { description: string | null };

export async function getConnection(db: Queryable, connId: string): Promise<ConnectionRow | null> {
  const r = await db.query<ConnectionRow>('SELECT * FROM connection WHERE conn_id = $1', [connId]);
  return r.rows[0] ?? null;
}

import type { Queryable } from './queryable.ts';

export interface ConnectionRow {
  conn_id: string;
  conn_type: string;
  description: string | null;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: string | null;
}

export async function getConnection(db: Queryable, connId: string): Promise<ConnectionRow | null> {
  const r = await db.query<ConnectionRow>('SELECT * FROM connection WHERE conn_id = $1', [connId]);
  return r.rows[0] ?? null;
}

import type { Queryable } from './queryable.ts';

export interface VariableRow {
  key: string;
  val: string;
  description: string | null;
}

export async function getVariable(db: Queryable, key: string): Promise<VariableRow | null> {
  const r = await db.query<VariableRow>('SELECT * FROM variable WHERE key = $1', [key]);
  return r.rows[0] ?? null;
}

export async function setVariable(db: Queryable, key: string, val: string, description: string | null): Promise<void> {
  await db.query(
    `INSERT INTO variable (key, val, description) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO UPDATE SET val = EXCLUDED.val, description = coalesce(EXCLUDED.description, variable.description)`,
    [key, val, description],
  );
}

/**
 * Variables. Values are encrypted before they are written and decrypted as
 * they are read, so every function here takes the SecretCipher and deals in
 * clear values; the table only ever holds enc:v1:… text (or, for rows written
 * before encryption existed, clear text with is_encrypted = false).
 */
import type { SecretCipher } from '../../security/encryption.ts';
import type { Queryable } from './queryable.ts';

export interface Variable {
  id: number;
  key: string;
  val: string;
  description: string | null;
  is_encrypted: boolean;
}

function clear(cipher: SecretCipher, row: Variable): Variable {
  return row.is_encrypted ? { ...row, val: cipher.decrypt(row.val) } : row;
}

export async function getVariable(db: Queryable, cipher: SecretCipher, key: string): Promise<Variable | null> {
  const r = await db.query<Variable>('SELECT id, key, val, description, is_encrypted FROM variable WHERE key = $1', [key]);
  return r.rows[0] ? clear(cipher, r.rows[0]) : null;
}

export interface VariableQuery {
  /** SQL LIKE patterns, any of which the key matches (case-insensitive) */
  keyPatterns?: string[];
  /** an ORDER BY list built from a whitelist of columns by the caller */
  orderBy?: string;
  limit?: number;
  offset?: number;
}

export async function listVariables(db: Queryable, cipher: SecretCipher, q: VariableQuery = {}): Promise<{ variables: Variable[]; total: number }> {
  const where = q.keyPatterns?.length ? 'WHERE key ILIKE ANY($1::text[])' : '';
  const args: unknown[] = q.keyPatterns?.length ? [q.keyPatterns] : [];
  const total = await db.query<{ n: number }>(`SELECT count(*) AS n FROM variable ${where}`, args);
  const rows = await db.query<Variable>(
    `SELECT id, key, val, description, is_encrypted FROM variable ${where}
     ORDER BY ${q.orderBy ?? 'id'} LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
    [...args, q.limit ?? null, q.offset ?? 0],
  );
  return { variables: rows.rows.map((v) => clear(cipher, v)), total: total.rows[0].n };
}

/** Inserts a new variable; false (and nothing written) when the key exists. */
export async function insertVariable(db: Queryable, cipher: SecretCipher, key: string, val: string, description: string | null): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO variable (key, val, description, is_encrypted) VALUES ($1, $2, $3, true)
     ON CONFLICT (key) DO NOTHING`,
    [key, cipher.encrypt(val), description],
  );
  return r.rowCount === 1;
}

/**
 * Creates or replaces a variable's value. `description` undefined keeps the
 * stored one (Variable.set from a task that passes none must not erase it).
 */
export async function setVariable(db: Queryable, cipher: SecretCipher, key: string, val: string, description?: string | null): Promise<void> {
  await db.query(
    `INSERT INTO variable (key, val, description, is_encrypted) VALUES ($1, $2, $3, true)
     ON CONFLICT (key) DO UPDATE SET val = EXCLUDED.val, is_encrypted = true,
       description = CASE WHEN $4 THEN EXCLUDED.description ELSE variable.description END`,
    [key, cipher.encrypt(val), description ?? null, description !== undefined],
  );
}

/** Changes the given fields of an existing variable; null when there is none. */
export async function updateVariable(db: Queryable, cipher: SecretCipher, key: string, changes: { val?: string; description?: string | null }): Promise<Variable | null> {
  const r = await db.query<Variable>(
    `UPDATE variable SET
       val = CASE WHEN $2 THEN $3 ELSE val END,
       is_encrypted = CASE WHEN $2 THEN true ELSE is_encrypted END,
       description = CASE WHEN $4 THEN $5 ELSE description END
     WHERE key = $1
     RETURNING id, key, val, description, is_encrypted`,
    [key, changes.val !== undefined, changes.val === undefined ? null : cipher.encrypt(changes.val), changes.description !== undefined, changes.description ?? null],
  );
  return r.rows[0] ? clear(cipher, r.rows[0]) : null;
}

export async function deleteVariable(db: Queryable, key: string): Promise<boolean> {
  const r = await db.query('DELETE FROM variable WHERE key = $1', [key]);
  return r.rowCount === 1;
}

/** Which of `keys` exist. */
export async function existingVariableKeys(db: Queryable, keys: string[]): Promise<Set<string>> {
  const r = await db.query<{ key: string }>('SELECT key FROM variable WHERE key = ANY($1::text[])', [keys]);
  return new Set(r.rows.map((x) => x.key));
}

/**
 * Re-encrypts every value with the cipher's first key (and encrypts rows
 * still in clear text). Rows are locked so a concurrent write is not lost.
 */
export async function reencryptVariables(db: Queryable, cipher: SecretCipher): Promise<number> {
  const rows = await db.query<Variable>('SELECT id, key, val, description, is_encrypted FROM variable ORDER BY id FOR UPDATE');
  for (const row of rows.rows) {
    const plain = clear(cipher, row).val;
    await db.query('UPDATE variable SET val = $2, is_encrypted = true WHERE id = $1', [row.id, cipher.encrypt(plain)]);
  }
  return rows.rows.length;
}

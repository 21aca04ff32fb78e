/**
 * Connections. Password and extra are encrypted before they are written and
 * decrypted as they are read (see variables.ts): every function here deals in
 * clear values.
 */
import type { ConnectionInfo } from '@updraft/sdk/runtime';
import type { SecretCipher } from '../../security/encryption.ts';
import type { Queryable } from './queryable.ts';

/** A connection row: the fields task code sees (less the parsed extra), plus a description. */
export type ConnectionRow = Omit<ConnectionInfo, 'extra_dejson'> & { description: string | null };

interface StoredConnection extends ConnectionRow {
  id: number;
  is_encrypted: boolean;
  is_extra_encrypted: boolean;
}

const COLUMNS = 'id, conn_id, conn_type, description, host, schema, login, password, port, extra, is_encrypted, is_extra_encrypted';

function clear(cipher: SecretCipher, row: StoredConnection): ConnectionRow {
  return {
    conn_id: row.conn_id,
    conn_type: row.conn_type,
    description: row.description,
    host: row.host,
    schema: row.schema,
    login: row.login,
    password: row.is_encrypted && row.password !== null ? cipher.decrypt(row.password) : row.password,
    port: row.port,
    extra: row.is_extra_encrypted && row.extra !== null ? cipher.decrypt(row.extra) : row.extra,
  };
}

export async function getConnection(db: Queryable, cipher: SecretCipher, connId: string): Promise<ConnectionRow | null> {
  const r = await db.query<StoredConnection>(`SELECT ${COLUMNS} FROM connection WHERE conn_id = $1`, [connId]);
  return r.rows[0] ? clear(cipher, r.rows[0]) : null;
}

export interface ConnectionQuery {
  /** SQL LIKE patterns, any of which conn_id matches (case-insensitive) */
  idPatterns?: string[];
  /** an ORDER BY list built from a whitelist of columns by the caller */
  orderBy?: string;
  limit?: number;
  offset?: number;
}

export async function listConnections(db: Queryable, cipher: SecretCipher, q: ConnectionQuery = {}): Promise<{ connections: ConnectionRow[]; total: number }> {
  const where = q.idPatterns?.length ? 'WHERE conn_id ILIKE ANY($1::text[])' : '';
  const args: unknown[] = q.idPatterns?.length ? [q.idPatterns] : [];
  const total = await db.query<{ n: number }>(`SELECT count(*) AS n FROM connection ${where}`, args);
  const rows = await db.query<StoredConnection>(
    `SELECT ${COLUMNS} FROM connection ${where} ORDER BY ${q.orderBy ?? 'id'} LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
    [...args, q.limit ?? null, q.offset ?? 0],
  );
  return { connections: rows.rows.map((c) => clear(cipher, c)), total: total.rows[0].n };
}

function values(cipher: SecretCipher, c: ConnectionRow): unknown[] {
  return [c.conn_id, c.conn_type, c.description, c.host, c.schema, c.login, cipher.encryptNullable(c.password), c.port, cipher.encryptNullable(c.extra)];
}

/** Inserts a new connection; false (and nothing written) when the id exists. */
export async function insertConnection(db: Queryable, cipher: SecretCipher, c: ConnectionRow): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO connection (conn_id, conn_type, description, host, schema, login, password, port, extra, is_encrypted, is_extra_encrypted)
     VALUES ($1, $2, $3, $4, $5, $6, $7::text, $8, $9::text, $7::text IS NOT NULL, $9::text IS NOT NULL)
     ON CONFLICT (conn_id) DO NOTHING`,
    values(cipher, c),
  );
  return r.rowCount === 1;
}

/** Writes every field of an existing connection; false when there is none. */
export async function replaceConnection(db: Queryable, cipher: SecretCipher, c: ConnectionRow): Promise<boolean> {
  const r = await db.query(
    `UPDATE connection SET conn_type = $2, description = $3, host = $4, schema = $5, login = $6,
       password = $7::text, port = $8, extra = $9::text, is_encrypted = $7::text IS NOT NULL, is_extra_encrypted = $9::text IS NOT NULL
     WHERE conn_id = $1`,
    values(cipher, c),
  );
  return r.rowCount === 1;
}

export async function deleteConnection(db: Queryable, connId: string): Promise<boolean> {
  const r = await db.query('DELETE FROM connection WHERE conn_id = $1', [connId]);
  return r.rowCount === 1;
}

/** Re-encrypts every password and extra with the cipher's first key (and encrypts those still in clear text). */
export async function reencryptConnections(db: Queryable, cipher: SecretCipher): Promise<number> {
  const rows = await db.query<StoredConnection>(`SELECT ${COLUMNS} FROM connection ORDER BY id FOR UPDATE`);
  for (const row of rows.rows) {
    const c = clear(cipher, row);
    await db.query(
      `UPDATE connection SET password = $2::text, extra = $3::text, is_encrypted = $2::text IS NOT NULL, is_extra_encrypted = $3::text IS NOT NULL WHERE id = $1`,
      [row.id, cipher.encryptNullable(c.password), cipher.encryptNullable(c.extra)],
    );
  }
  return rows.rows.length;
}

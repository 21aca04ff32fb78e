/** API users. Passwords are stored as scrypt hashes: `scrypt$<salt>$<hash>`. */
import crypto from 'node:crypto';
import type { Queryable } from './queryable.ts';

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: string;
  email: string | null;
}

export function hashPassword(password: string): string {
  const salt = crypto.randomBytes(16);
  const hash = crypto.scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function checkPassword(password: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = crypto.scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return crypto.timingSafeEqual(actual, expected);
}

export async function findUser(db: Queryable, username: string): Promise<UserRow | null> {
  const r = await db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
  return r.rows[0] ?? null;
}

/** Creates the user, or resets the password of an existing one. */
export async function upsertUser(db: Queryable, username: string, password: string, role = 'Admin'): Promise<void> {
  await db.query(
    `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
    [username, hashPassword(password), role],
  );
}

export const ROLES = ['Admin', 'Op', 'User', 'Viewer'] as const;

export async function createUser(db: Queryable, user: { username: string; password: string; role: string; email: string | null }): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO users (username, password_hash, role, email) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING`,
    [user.username, hashPassword(user.password), user.role, user.email],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function listUsers(db: Queryable): Promise<Omit<UserRow, 'password_hash'>[]> {
  const r = await db.query<Omit<UserRow, 'password_hash'>>('SELECT id, username, role, email FROM users ORDER BY username');
  return r.rows;
}

export async function deleteUser(db: Queryable, username: string): Promise<boolean> {
  const r = await db.query('DELETE FROM users WHERE username = $1', [username]);
  return (r.rowCount ?? 0) > 0;
}

export async function resetPassword(db: Queryable, username: string, password: string): Promise<boolean> {
  const r = await db.query('UPDATE users SET password_hash = $2 WHERE username = $1', [username, hashPassword(password)]);
  return (r.rowCount ?? 0) > 0;
}

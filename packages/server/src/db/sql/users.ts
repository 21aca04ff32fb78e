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

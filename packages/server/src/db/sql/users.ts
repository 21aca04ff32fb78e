/**
 * API users and their roles. Passwords are stored as scrypt hashes:
 * `scrypt$<salt>$<hash>`. Failed logins are recorded to rate-limit guessing.
 */
import crypto from 'node:crypto';
import type { Queryable } from './queryable.ts';

/** Airflow's built-in roles, most powerful first; users may also hold custom roles (the role table). */
export const ROLES = ['Admin', 'Op', 'User', 'Viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isBuiltinRole(name: string): name is Role {
  return (ROLES as readonly string[]).includes(name);
}

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  /** built-in and custom role names */
  roles: string[];
  email: string | null;
  first_name: string;
  last_name: string;
  active: boolean;
  created_at: Date;
  changed_at: Date;
}

export type PublicUser = Omit<UserRow, 'password_hash'>;

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

/** The most powerful of a user's built-in roles (Admin > Op > User > Viewer); custom roles do not count. */
export function highestRole(roles: readonly string[]): Role | null {
  return ROLES.find((r) => roles.includes(r)) ?? null;
}

export async function findUser(db: Queryable, username: string): Promise<UserRow | null> {
  const r = await db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
  return r.rows[0] ?? null;
}

/**
 * Creates the user, or resets the password of an existing one. The same
 * password again (a standalone restarted with $UPDRAFT_ADMIN_PASSWORD)
 * changes nothing, so the user's tokens keep working.
 */
export async function upsertUser(db: Queryable, username: string, password: string, role: Role = 'Admin'): Promise<void> {
  const existing = await findUser(db, username);
  if (existing && checkPassword(password, existing.password_hash)) return;
  await db.query(
    `INSERT INTO users (username, password_hash, roles) VALUES ($1, $2, ARRAY[$3])
     ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, changed_at = now()`,
    [username, hashPassword(password), role],
  );
}

export interface NewUser {
  username: string;
  password: string;
  roles: string[];
  email: string | null;
  first_name?: string;
  last_name?: string;
}

/** false when the user name is taken */
export async function createUser(db: Queryable, user: NewUser): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO users (username, password_hash, roles, email, first_name, last_name) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING`,
    [user.username, hashPassword(user.password), user.roles, user.email, user.first_name ?? '', user.last_name ?? ''],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function listUsers(db: Queryable, page: { limit: number; offset: number } = { limit: 10_000, offset: 0 }): Promise<{ users: PublicUser[]; total: number }> {
  const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  const r = await db.query<PublicUser>(
    'SELECT id, username, roles, email, first_name, last_name, active, created_at, changed_at FROM users ORDER BY username LIMIT $1 OFFSET $2',
    [page.limit, page.offset],
  );
  return { users: r.rows, total: total.rows[0].n };
}

export async function deleteUser(db: Queryable, username: string): Promise<boolean> {
  const r = await db.query('DELETE FROM users WHERE username = $1', [username]);
  return (r.rowCount ?? 0) > 0;
}

/** A new password; tokens issued before it stop working (see changed_at). */
export async function resetPassword(db: Queryable, username: string, password: string): Promise<boolean> {
  const r = await db.query('UPDATE users SET password_hash = $2, changed_at = now() WHERE username = $1', [username, hashPassword(password)]);
  return (r.rowCount ?? 0) > 0;
}

/** Changes the given fields (undefined = unchanged); null when there is no such user. */
export async function updateUser(db: Queryable, username: string, u: { email?: string | null; first_name?: string; last_name?: string; roles?: string[]; active?: boolean }): Promise<PublicUser | null> {
  const r = await db.query<PublicUser>(
    `UPDATE users SET
       email = CASE WHEN $2::boolean THEN $3 ELSE email END,
       first_name = coalesce($4, first_name),
       last_name = coalesce($5, last_name),
       roles = coalesce($6::text[], roles),
       active = coalesce($7, active)
     WHERE username = $1
     RETURNING id, username, roles, email, first_name, last_name, active, created_at, changed_at`,
    [username, u.email !== undefined, u.email ?? null, u.first_name ?? null, u.last_name ?? null, u.roles ?? null, u.active ?? null],
  );
  return r.rows[0] ?? null;
}

export async function addRole(db: Queryable, username: string, role: string): Promise<PublicUser | null> {
  const r = await db.query<PublicUser>(
    `UPDATE users SET roles = CASE WHEN $2 = ANY(roles) THEN roles ELSE roles || ARRAY[$2] END WHERE username = $1
     RETURNING id, username, roles, email, first_name, last_name, active, created_at, changed_at`,
    [username, role],
  );
  return r.rows[0] ?? null;
}

export async function removeRole(db: Queryable, username: string, role: string): Promise<PublicUser | null> {
  const r = await db.query<PublicUser>(
    `UPDATE users SET roles = array_remove(roles, $2) WHERE username = $1
     RETURNING id, username, roles, email, first_name, last_name, active, created_at, changed_at`,
    [username, role],
  );
  return r.rows[0] ?? null;
}

export async function recordLoginFailure(db: Queryable, username: string, address: string): Promise<void> {
  await db.query('INSERT INTO login_failure (username, address) VALUES ($1, $2)', [username, address]);
  // old rows are of no use once outside any window
  await db.query("DELETE FROM login_failure WHERE failed_at < now() - interval '1 day'");
}

/** Failed logins of this user name, and from this address, within the last `seconds`. */
export async function recentLoginFailures(db: Queryable, username: string, address: string, seconds: number): Promise<{ byUser: number; byAddress: number; oldest: Date | null }> {
  const r = await db.query<{ by_user: number; by_address: number; oldest: Date | null }>(
    `SELECT count(*) FILTER (WHERE username = $1)::int AS by_user, count(*) FILTER (WHERE address = $2)::int AS by_address, min(failed_at) AS oldest
     FROM login_failure WHERE failed_at > now() - make_interval(secs => $3) AND (username = $1 OR address = $2)`,
    [username, address, seconds],
  );
  return { byUser: r.rows[0].by_user, byAddress: r.rows[0].by_address, oldest: r.rows[0].oldest };
}

export async function clearLoginFailures(db: Queryable, username: string): Promise<void> {
  await db.query('DELETE FROM login_failure WHERE username = $1', [username]);
}

/**
 * Bearer tokens. Users get one from POST /auth/token (or /auth/token/cli);
 * each task try gets one from the scheduler that is valid for that try only
 * (its task instance id changes with every try, and the token names it).
 */
import { jwtVerify, SignJWT } from 'jose';

export interface UserClaims {
  kind: 'user';
  sub: string;
  /** the highest role when the token was issued; requests use the user's roles as stored now */
  role: string;
  /** users.id: a token of a deleted (or deleted and re-created) user matches no row and is refused */
  uid?: number;
  /** issued at, seconds (set by signToken) */
  iat?: number;
  /** every role the user holds now, built-in and custom: read from the database per request, never put in tokens */
  roles?: string[];
}

export interface TaskClaims {
  kind: 'task';
  /** task_instance.id of this try */
  sub: string;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  try_number: number;
}

export async function signToken(secret: Uint8Array, claims: UserClaims | TaskClaims, ttlSeconds: number): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .setIssuer('updraft')
    .sign(secret);
}

export async function verifyToken(secret: Uint8Array, token: string): Promise<UserClaims | TaskClaims> {
  const { payload } = await jwtVerify(token, secret, { issuer: 'updraft', algorithms: ['HS256'] });
  return payload as unknown as UserClaims | TaskClaims;
}

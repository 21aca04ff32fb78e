/**
 * The secret that signs API and task tokens: [api_auth] jwt_secret, or one
 * generated once and kept in $UPDRAFT_HOME so every component on this home
 * (api-server, scheduler) agrees on it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';

export function jwtSecret(config: Config): Uint8Array {
  const configured = config.str('api_auth', 'jwt_secret');
  if (configured) return new TextEncoder().encode(configured);
  const file = path.join(config.home, 'jwt_secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.home, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // another component created it first: use theirs
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return new TextEncoder().encode(fs.readFileSync(file, 'utf8').trim());
}

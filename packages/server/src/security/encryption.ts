/**
 * Secrets at rest: Variable values and connection passwords and extras are
 * encrypted with AES-256-GCM under [core] fernet_key before they reach the
 * database. The key setting is a comma-separated list so keys can be rotated
 * as in Airflow: new values use the first key, any listed key decrypts, and
 * `updraft rotate-fernet-key` re-encrypts everything with the first.
 *
 * Stored form: `enc:v1:<key id>:<base64 of iv | ciphertext | tag>`. The
 * version leaves room for another scheme later; the key id (a hash prefix of
 * the key, never the key) says which key to decrypt with, and lets an error
 * say which key is missing.
 */
import crypto from 'node:crypto';
import type { Config } from '../config/config.ts';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12; // GCM's recommended nonce size
const TAG_BYTES = 16;

/** A missing, malformed or unknown key: the value cannot be written or read. */
export class EncryptionKeyError extends Error {}

interface Key {
  id: string;
  bytes: Buffer;
}

/** A new random key in the form [core] fernet_key takes. */
export function generateFernetKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

function parseKey(text: string, position: number): Key {
  // standard or URL-safe base64 (an Airflow Fernet key is the latter): both decode to the same 32 bytes
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    throw new EncryptionKeyError(`[core] fernet_key: key ${position} is not a base64-encoded 32-byte key (generate one with \`openssl rand -base64 32\`)`);
  }
  return { id: crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}

export function isEncrypted(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export class SecretCipher {
  private readonly keys: Key[];

  /** `keyList`: the value of [core] fernet_key (empty: nothing can be encrypted). */
  constructor(keyList: string) {
    this.keys = keyList
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((k, i) => parseKey(k, i + 1));
  }

  static fromConfig(config: Config): SecretCipher {
    return new SecretCipher(config.str('core', 'fernet_key'));
  }

  /** Id of the key new values are encrypted with. */
  get primaryKeyId(): string | null {
    return this.keys[0]?.id ?? null;
  }

  encrypt(plain: string): string {
    const key = this.keys[0];
    if (!key) {
      throw new EncryptionKeyError(
        'No [core] fernet_key is configured, so secrets cannot be stored encrypted: run `updraft db migrate` to generate one into updraft.cfg, or set UPDRAFT__CORE__FERNET_KEY to a base64 32-byte key',
      );
    }
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', key.bytes, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${key.id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  decrypt(stored: string): string {
    if (!isEncrypted(stored)) throw new EncryptionKeyError('The stored value is not in the enc:v1 format');
    const rest = stored.slice(PREFIX.length);
    const colon = rest.indexOf(':');
    const keyId = rest.slice(0, colon);
    const key = this.keys.find((k) => k.id === keyId);
    if (!key) {
      const known = this.keys.length ? `it has ${this.keys.map((k) => k.id).join(', ')}` : 'none is configured';
      throw new EncryptionKeyError(`A stored secret was encrypted with key ${keyId}, which is not in [core] fernet_key (${known}): add the old key after the new one, comma-separated`);
    }
    const raw = Buffer.from(rest.slice(colon + 1), 'base64');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key.bytes, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new EncryptionKeyError(`A stored secret encrypted with key ${keyId} fails its integrity check: it was altered in the database`);
    }
  }

  /** Encrypts `plain`, or returns null for null (an absent password stays absent). */
  encryptNullable(plain: string | null): string | null {
    return plain === null ? null : this.encrypt(plain);
  }
}

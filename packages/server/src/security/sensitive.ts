/**
 * Which names hold secrets, and masking their values as `***` — Airflow's
 * rule: a Variable key or a connection extra field is sensitive when its name
 * contains one of the words below (or one listed in
 * [core] sensitive_var_conn_names), case-insensitively.
 */
import type { Config } from '../config/config.ts';

/** Airflow's DEFAULT_SENSITIVE_FIELDS (secrets_masker). */
export const DEFAULT_SENSITIVE_NAMES = [
  'access_token',
  'api_key',
  'apikey',
  'authorization',
  'passphrase',
  'passwd',
  'password',
  'private_key',
  'secret',
  'token',
  'keyfile_dict',
  'service_account',
  'access_key',
  'connection_string',
];

export const MASK = '***';

/** How deep masking looks into nested objects (Airflow's max depth). */
const MAX_DEPTH = 5;

export class SensitiveNames {
  private readonly words: string[];

  /** `extra`: the comma-separated [core] sensitive_var_conn_names. */
  constructor(extra = '') {
    const added = extra
      .split(',')
      .map((w) => w.trim().toLowerCase())
      .filter(Boolean);
    this.words = [...DEFAULT_SENSITIVE_NAMES, ...added];
  }

  static fromConfig(config: Config): SensitiveNames {
    return new SensitiveNames(config.str('core', 'sensitive_var_conn_names'));
  }

  isSensitive(name: string): boolean {
    const lower = name.trim().toLowerCase();
    return this.words.some((w) => lower.includes(w));
  }

  /** `value` with every field whose name is sensitive masked, recursively; everything when `name` itself is sensitive. */
  redact(value: unknown, name?: string, depth = 0): unknown {
    if (name !== undefined && this.isSensitive(name)) return maskAll(value, depth);
    if (depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) return value.map((v) => this.redact(v, undefined, depth + 1));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redact(v, k, depth + 1)]));
    }
    return value;
  }

  /** A connection's extra (JSON text) with its sensitive fields masked; text that is not JSON cannot be inspected and is returned as is, as Airflow does. */
  redactExtra(extra: string | null): string | null {
    if (extra === null || extra === '') return extra;
    try {
      return JSON.stringify(this.redact(JSON.parse(extra)));
    } catch {
      return extra;
    }
  }

  /**
   * A Variable value as the API and CLI show it: `***` for a sensitive key,
   * and for others, sensitive fields of a JSON object value masked.
   */
  variableValue(key: string, value: string): string {
    if (this.isSensitive(key)) return MASK;
    if (!value.trimStart().startsWith('{')) return value;
    try {
      return JSON.stringify(this.redact(JSON.parse(value)));
    } catch {
      return value;
    }
  }
}

function maskAll(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (depth > MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((v) => maskAll(v, depth + 1));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v, depth + 1)]));
  return MASK;
}

/**
 * Puts back the stored values behind `***` in an edited secret: clients (the
 * UI, a script doing GET then PATCH) only ever see the masked form, and
 * sending it back must not overwrite the real value with three asterisks.
 */
export function unmaskExtra(edited: string | null, stored: string | null): string | null {
  if (edited === null || stored === null || !edited.includes(MASK)) return edited;
  let next: unknown;
  let old: unknown;
  try {
    next = JSON.parse(edited);
    old = JSON.parse(stored);
  } catch {
    return edited;
  }
  const merge = (n: unknown, o: unknown): unknown => {
    if (n === MASK) return o ?? n;
    if (n && typeof n === 'object' && !Array.isArray(n) && o && typeof o === 'object' && !Array.isArray(o)) {
      return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, merge(v, (o as Record<string, unknown>)[k])]));
    }
    return n;
  };
  return JSON.stringify(merge(next, old));
}

/**
 * Airflow's secrets masker for the task process: every secret the task
 * learns (sensitive Variable values, connection passwords, sensitive fields
 * of a connection's extra) is registered here as it is fetched, and every
 * line written to the task's log, and every rendered field sent to the
 * api-server, has those values replaced by ***.
 */
import { DEFAULT_SENSITIVE_NAMES, MASK } from '../security/sensitive.ts';

export { MASK };

export function isSensitiveName(name: string): boolean {
  const lower = name.toLowerCase();
  // the api-server's list (it decides what it shows as ***): one list for both sides
  return DEFAULT_SENSITIVE_NAMES.some((part) => lower.includes(part));
}

/** Shorter values would mask ordinary words and numbers all over the log. */
export const MIN_SECRET_LENGTH = 4;


export class SecretsMasker {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | null = null;

  /**
   * Registers `secret`. With a `name`, a string is a secret only if the name
   * looks sensitive; objects are walked and each value judged by its own key
   * (so a connection's extra masks {"api_token": …} but not {"region": …}).
   */
  add(secret: unknown, name?: string): void {
    if (typeof secret === 'string') {
      if (name !== undefined && !isSensitiveName(name)) return;
      this.addString(secret);
    } else if (Array.isArray(secret)) {
      for (const item of secret) this.add(item, name);
    } else if (secret && typeof secret === 'object') {
      for (const [key, value] of Object.entries(secret)) {
        // everything below a sensitive key is secret, whatever its own key
        if (name !== undefined && isSensitiveName(name)) this.add(value);
        else this.add(value, key);
      }
    }
  }

  private addString(secret: string) {
    const forms = new Set([secret, secret.trim(), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
    // a multi-line secret (a private key) is printed line by line as often as whole
    if (secret.includes('\n')) for (const line of secret.split(/\r?\n/)) forms.add(line.trim());
    for (const form of forms) {
      if (form.length >= MIN_SECRET_LENGTH && !this.secrets.has(form)) {
        this.secrets.add(form);
        this.pattern = null;
      }
    }
  }

  get size(): number {
    return this.secrets.size;
  }

  redact(text: string): string {
    if (this.secrets.size === 0) return text;
    // longest first, so a secret containing another is masked whole
    this.pattern ??= new RegExp(
      [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, MASK);
  }

  /** A copy of a JSON value with every string redacted. */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactValue(v)])) as T;
    }
    return value;
  }
}

/** The task process's masker (one task per process). */
export const secretsMasker = new SecretsMasker();

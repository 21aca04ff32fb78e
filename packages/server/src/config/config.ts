/**
 * Loads the configuration: defaults, then $UPDRAFT_HOME/updraft.cfg (INI), then
 * AIRFLOW__SECTION__KEY, then UPDRAFT__SECTION__KEY (ours wins when both are set).
 * Every value is validated against the schema once, so a bad value is reported
 * with its key's name before any component starts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IniError, type IniData, parseIni } from './ini-file.ts';
import { CONFIG_KEYS, type ConfigKey } from './schema.ts';

export type ConfigValue = string | number | boolean;
export type ConfigSource = 'default' | 'updraft.cfg' | `env ${string}` | 'cli';

export interface ConfigEntry {
  section: string;
  key: string;
  value: ConfigValue;
  source: ConfigSource;
  secret: boolean;
}

export class ConfigError extends Error {}

export function updraftHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.UPDRAFT_HOME || path.join(os.homedir(), '.updraft'));
}

export class Config {
  readonly home: string;
  readonly file: string;
  readonly warnings: string[];
  private readonly entries: Map<string, ConfigEntry>;

  constructor(home: string, entries: Map<string, ConfigEntry>, file: string, warnings: string[]) {
    this.home = home;
    this.entries = entries;
    this.file = file;
    this.warnings = warnings;
  }

  private entry(section: string, key: string): ConfigEntry {
    const e = this.entries.get(`${section}.${key}`);
    if (!e) throw new ConfigError(`Unknown configuration key [${section}] ${key}`);
    return e;
  }

  str(section: string, key: string): string {
    return String(this.entry(section, key).value);
  }
  int(section: string, key: string): number {
    return this.entry(section, key).value as number;
  }
  float(section: string, key: string): number {
    return this.entry(section, key).value as number;
  }
  bool(section: string, key: string): boolean {
    return this.entry(section, key).value as boolean;
  }
  list(): ConfigEntry[] {
    return [...this.entries.values()];
  }
  get(section: string, key: string): ConfigEntry | undefined {
    return this.entries.get(`${section}.${key}`);
  }

  /** A copy with some values replaced (used by tests and by CLI flags such as --port). */
  with(overrides: Record<string, ConfigValue>): Config {
    const copy = new Map(this.entries);
    for (const [name, value] of Object.entries(overrides)) {
      const old = copy.get(name);
      if (!old) throw new ConfigError(`Unknown configuration key ${name}`);
      copy.set(name, { ...old, value, source: 'cli' });
    }
    return new Config(this.home, copy, this.file, this.warnings);
  }
}

function parseValue(spec: ConfigKey, raw: string, home: string, source: string): ConfigValue {
  const where = `[${spec.section}] ${spec.key} (from ${source})`;
  const text = raw.trim();
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`Invalid value '${raw}' for ${where}: expected an integer`);
      const n = Number(text);
      if (spec.min !== undefined && n < spec.min) throw new ConfigError(`Invalid value '${raw}' for ${where}: must be at least ${spec.min}`);
      return n;
    }
    case 'float': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw new ConfigError(`Invalid value '${raw}' for ${where}: expected a number`);
      if (spec.min !== undefined && n < spec.min) throw new ConfigError(`Invalid value '${raw}' for ${where}: must be at least ${spec.min}`);
      return n;
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (['true', 't', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', 'f', '0', 'no', 'off'].includes(lower)) return false;
      throw new ConfigError(`Invalid value '${raw}' for ${where}: expected true or false`);
    }
    case 'path':
      return path.resolve(home, text.replace(/^~(?=\/|$)/, os.homedir()).replaceAll('{UPDRAFT_HOME}', home).replaceAll('{AIRFLOW_HOME}', home));
    case 'string':
      if (spec.choices && !spec.choices.some((c) => c.toLowerCase() === text.toLowerCase())) {
        throw new ConfigError(`Invalid value '${raw}' for ${where}: expected one of ${spec.choices.join(', ')}`);
      }
      return spec.choices ? spec.choices.find((c) => c.toLowerCase() === text.toLowerCase()) ?? text : text;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const home = updraftHome(env);
  const file = path.join(home, 'updraft.cfg');
  const warnings: string[] = [];
  let fromFile: IniData = {};
  if (fs.existsSync(file)) {
    let parsed: { data: IniData; outside: string[] };
    try {
      parsed = parseIni(fs.readFileSync(file, 'utf8'), file);
    } catch (err) {
      throw new ConfigError(err instanceof IniError ? err.message : `Cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    fromFile = parsed.data;
    for (const key of parsed.outside) warnings.push(`${file}: '${key}' is outside any [section] and is ignored`);
    for (const [section, values] of Object.entries(fromFile)) {
      for (const key of Object.keys(values)) {
        if (!CONFIG_KEYS.some((k) => k.section === section && k.key === key)) {
          warnings.push(`${file}: unknown key [${section}] ${key} is ignored`);
        }
      }
    }
  }

  const entries = new Map<string, ConfigEntry>();
  for (const spec of CONFIG_KEYS) {
    const envName = (prefix: string) => `${prefix}__${spec.section.toUpperCase()}__${spec.key.toUpperCase()}`;
    let raw = typeof spec.default === 'function' ? spec.default(home) : spec.default;
    let source: ConfigSource = 'default';
    const fileValue = fromFile[spec.section]?.[spec.key];
    if (fileValue !== undefined) {
      raw = String(fileValue);
      source = 'updraft.cfg';
    }
    for (const prefix of ['AIRFLOW', 'UPDRAFT']) {
      const value = env[envName(prefix)];
      if (value !== undefined) {
        raw = value;
        source = `env ${envName(prefix)}`;
      }
    }
    const value = parseValue(spec, raw, home, source);
    entries.set(`${spec.section}.${spec.key}`, { section: spec.section, key: spec.key, value, source, secret: !!spec.secret });
  }
  return new Config(home, entries, file, warnings);
}

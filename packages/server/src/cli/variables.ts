/**
 * `updraft variables get | set | delete | list | import | export`, as
 * Airflow's. The file format is Airflow's: a JSON object of key → value
 * (a string, or any JSON value, stored as its JSON text), or key →
 * {"value": …, "description": …}.
 */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import type { Config } from '../config/config.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { deleteVariable, existingVariableKeys, getVariable, listVariables, setVariable } from '../db/sql/variables.ts';
import { variableFromEnv } from '../security/env-secrets.ts';
import { CliError } from './errors.ts';
import { type OutputFormat, printRows } from './output.ts';
import { cliSecrets, cliUser } from './secrets.ts';
import { withDb } from './with-db.ts';
import { remoteApi, seg } from './api-client.ts';

const MAX_KEY_LENGTH = 250;

export interface VariableEntry {
  key: string;
  val: string;
  description: string | null;
}

/** Why `key` cannot name a Variable, or null when it can. */
function keyProblem(key: string): string | null {
  if (key.trim() === '') return 'the key is empty';
  if (key.length > MAX_KEY_LENGTH) return `the key is longer than ${MAX_KEY_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'the key contains control characters';
  return null;
}

/** A value as Airflow stores it: strings as they are, other JSON values as JSON (indented, as Variable.set(serialize_json=True) writes them). */
function storedValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** Every entry of a variables file, or an error naming the first entry that is wrong; nothing is written either way. */
export function parseVariablesFile(text: string, file: string): VariableEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid JSON (${(err as Error).message}); nothing was imported`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new CliError(`${file} must hold a JSON object of variable key → value, not ${Array.isArray(data) ? 'an array' : JSON.stringify(data)}; nothing was imported`);
  }
  return Object.entries(data).map(([key, raw]) => {
    const wrong = (why: string) => new CliError(`Invalid entry '${key}' in ${file}: ${why}; nothing was imported`);
    const problem = keyProblem(key);
    if (problem) throw wrong(problem);
    let value = raw;
    let description: string | null = null;
    const wrapper = raw && typeof raw === 'object' && !Array.isArray(raw) && 'value' in raw && Object.keys(raw).every((k) => k === 'value' || k === 'description');
    if (wrapper) {
      const w = raw as { value: unknown; description?: unknown };
      if (w.description !== undefined && w.description !== null && typeof w.description !== 'string') throw wrong('description must be a string');
      value = w.value;
      description = (w.description as string | null | undefined) ?? null;
    }
    if (value === null || value === undefined) throw wrong('the value is null (a Variable holds a string or a JSON value)');
    return { key, val: storedValue(value), description };
  });
}

/** The export file: values that are JSON written as JSON, so that import reads back the same values. */
export function variablesFileContent(vars: VariableEntry[]): string {
  const out: Record<string, unknown> = {};
  for (const v of vars) {
    let value: unknown = v.val;
    try {
      value = JSON.parse(v.val);
    } catch {
      // a plain string
    }
    out[v.key] = v.description ? { value, description: v.description } : value;
  }
  return `${JSON.stringify(out, null, 4)}\n`;
}

export function registerVariableCommands(program: Command, config: () => Config) {
  const variables = program.command('variables').description('Manage Variables');

  variables
    .command('get <key>')
    .description('Print the value of a Variable (an AIRFLOW_VAR_/UPDRAFT_VAR_ environment variable wins, as for tasks)')
    .option('-d, --default <value>', 'print this when the Variable does not exist, instead of failing')
    .option('-j, --json', 'the value is JSON: print it parsed and indented')
    .action(async (key: string, o: { default?: string; json?: boolean }) => {
      const api = remoteApi();
      let value: string | null;
      if (api) {
        const r = await api.get(`/api/v2/variables/${seg(key)}`).catch((err: Error) => {
          if (/HTTP 404/.test(err.message)) return null;
          throw err;
        });
        value = r?.value ?? null;
      } else {
        value = variableFromEnv(key);
        if (value === null) {
          const { config: cfg, cipher } = cliSecrets(config());
          value = await withDb(cfg, async (d) => (await getVariable(d.pool, cipher, key))?.val ?? null);
        }
      }
      if (value === null) {
        if (o.default === undefined) throw new CliError(`Variable ${key} does not exist`);
        value = o.default;
      }
      if (o.json) {
        try {
          value = JSON.stringify(JSON.parse(value), null, 2);
        } catch {
          throw new CliError(`Variable ${key} is not JSON; run without --json to print it as text`);
        }
      }
      process.stdout.write(`${value}\n`);
    });

  variables
    .command('set <key> <value>')
    .description('Create or update a Variable')
    .option('--description <text>', 'description of the Variable')
    .option('-j, --json', 'the value is JSON: check it and store it as JSON')
    .action(async (key: string, value: string, o: { description?: string; json?: boolean }) => {
      const problem = keyProblem(key);
      if (problem) throw new CliError(`Cannot set Variable '${key}': ${problem}`);
      let val = value;
      if (o.json) {
        try {
          val = storedValue(JSON.parse(value));
        } catch (err) {
          throw new CliError(`--json: the value is not valid JSON (${(err as Error).message})`);
        }
      }
      const api = remoteApi();
      if (api) {
        const body = { key, value: val, ...(o.description === undefined ? {} : { description: o.description }) };
        const created = await api.post('/api/v2/variables', body).then(
          () => true,
          (err: Error) => {
            if (!/HTTP 409/.test(err.message)) throw err;
            return false;
          },
        );
        if (!created) await api.patch(`/api/v2/variables/${seg(key)}`, body);
        process.stdout.write(`Variable ${key} created\n`);
        return;
      }
      const { config: cfg, cipher } = cliSecrets(config());
      await withDb(cfg, (d) =>
        inTransaction(d.pool, async (db) => {
          await setVariable(db, cipher, key, val, o.description);
          await logEvent(db, { event: 'cli_variables_set', owner: cliUser(), extra: { key } });
        }),
      );
      process.stdout.write(`Variable ${key} created\n`);
    });

  variables
    .command('delete <key>')
    .description('Delete a Variable')
    .action(async (key: string) => {
      const api = remoteApi();
      if (api) {
        await api.delete(`/api/v2/variables/${seg(key)}`);
        process.stdout.write(`Variable ${key} deleted\n`);
        return;
      }
      const { config: cfg } = cliSecrets(config());
      await withDb(cfg, (d) =>
        inTransaction(d.pool, async (db) => {
          if (!(await deleteVariable(db, key))) throw new CliError(`Variable ${key} does not exist`);
          await logEvent(db, { event: 'cli_variables_delete', owner: cliUser(), extra: { key } });
        }),
      );
      process.stdout.write(`Variable ${key} deleted\n`);
    });

  variables
    .command('list')
    .description('List the Variables (values of sensitive keys shown as ***)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml', 'plain']).default('table'))
    .action(async (o: { output: OutputFormat }) => {
      const api = remoteApi();
      if (api) {
        const { variables: rows } = await api.get<{ variables: { key: string; value: string; description: string | null }[] }>('/api/v2/variables?limit=10000&order_by=key');
        printRows(rows.map((v) => ({ key: v.key, val: v.value, description: v.description })), o.output, ['key', 'val', 'description']);
        return;
      }
      const { config: cfg, cipher, sensitive } = cliSecrets(config());
      await withDb(cfg, async (d) => {
        const { variables: rows } = await listVariables(d.pool, cipher, { orderBy: 'key' });
        printRows(
          rows.map((v) => ({ key: v.key, val: sensitive.variableValue(v.key, v.val), description: v.description })),
          o.output,
          ['key', 'val', 'description'],
        );
      });
    });

  variables
    .command('import <file>')
    .description('Import Variables from a JSON file of key → value; all or nothing')
    .addOption(new Option('-a, --action-on-existing-key <action>', 'what to do with a key that exists').choices(['overwrite', 'fail', 'skip']).default('overwrite'))
    .action(async (file: string, o: { actionOnExistingKey: 'overwrite' | 'fail' | 'skip' }) => {
      if (!fs.existsSync(file)) throw new CliError(`Missing variables file: ${file}`);
      const entries = parseVariablesFile(fs.readFileSync(file, 'utf8'), file);
      const api = remoteApi();
      if (api) {
        // one bulk create: all or nothing on the server too
        const onExisting = o.actionOnExistingKey;
        const r = await api.patch('/api/v2/variables', { actions: [{ action: 'create', action_on_existence: onExisting, entities: entries.map((e) => ({ key: e.key, value: e.val, description: e.description })) }] });
        if (r.create?.errors?.length) throw new CliError(`${r.create.errors.map((e: { error: string }) => e.error).join('; ')}; nothing was imported`);
        const done = r.create?.success?.length ?? 0;
        process.stdout.write(`${done} of ${entries.length} variables successfully updated.\n`);
        return;
      }
      const { config: cfg, cipher } = cliSecrets(config());
      const skipped = await withDb(cfg, (d) =>
        inTransaction(d.pool, async (db) => {
          const existing = await existingVariableKeys(db, entries.map((e) => e.key));
          if (o.actionOnExistingKey === 'fail' && existing.size) throw new CliError(`Variables with these keys already exist: ${[...existing].join(', ')}; nothing was imported`);
          const skip = o.actionOnExistingKey === 'skip' ? existing : new Set<string>();
          for (const e of entries) {
            if (skip.has(e.key)) continue;
            try {
              await setVariable(db, cipher, e.key, e.val, e.description);
            } catch (err) {
              throw new CliError(`Invalid entry '${e.key}' in ${file}: ${(err as Error).message}; nothing was imported`);
            }
          }
          await logEvent(db, { event: 'cli_variables_import', owner: cliUser(), extra: { file, keys: entries.filter((e) => !skip.has(e.key)).map((e) => e.key) } });
          return [...skip];
        }),
      );
      process.stdout.write(`${entries.length - skipped.length} of ${entries.length} variables successfully updated.\n`);
      if (skipped.length) process.stdout.write(`The variables with these keys were skipped because they already exist: ${skipped.join(', ')}\n`);
    });

  variables
    .command('export <file>')
    .description('Export every Variable to a JSON file (- for standard output); values are written in clear text')
    .action(async (file: string) => {
      if (remoteApi()) throw new CliError('variables export works on the local installation only: the API shows sensitive values as ***, so an export through it could not be imported back');
      const { config: cfg, cipher } = cliSecrets(config());
      const rows = await withDb(cfg, async (d) => (await listVariables(d.pool, cipher, { orderBy: 'key' })).variables);
      const text = variablesFileContent(rows);
      if (file === '-') {
        process.stdout.write(text);
        return;
      }
      // the file holds the secrets in clear: readable by its owner only
      fs.writeFileSync(file, text, { mode: 0o600 });
      process.stdout.write(`${rows.length} variables successfully exported to ${file}\n`);
    });
}

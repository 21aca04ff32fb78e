/**
 * Airflow's environment-variables secrets backend, which is looked up before
 * the database: `AIRFLOW_VAR_<KEY>` holds a Variable's value and
 * `AIRFLOW_CONN_<CONN_ID>` a connection (URI or JSON form), the name
 * upper-cased. Updraft's own `UPDRAFT_` prefix wins when both are set.
 */
import { type ConnectionFields, parseConnectionText } from '../connections/uri.ts';

function lookup(kind: 'VAR' | 'CONN', name: string, env: NodeJS.ProcessEnv): { name: string; value: string } | null {
  for (const prefix of ['UPDRAFT', 'AIRFLOW']) {
    const envName = `${prefix}_${kind}_${name.toUpperCase()}`;
    const value = env[envName];
    if (value !== undefined) return { name: envName, value };
  }
  return null;
}

export function variableFromEnv(key: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return lookup('VAR', key, env)?.value ?? null;
}

/** The connection an environment variable defines, or null; a value in neither form throws, naming the variable. */
export function connectionFromEnv(connId: string, env: NodeJS.ProcessEnv = process.env): ConnectionFields | null {
  const found = lookup('CONN', connId, env);
  if (!found) return null;
  try {
    return parseConnectionText(found.value);
  } catch (err) {
    throw new Error(`${found.name} is not a connection URI or JSON: ${(err as Error).message}`, { cause: err });
  }
}

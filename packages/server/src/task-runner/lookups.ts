/**
 * Variables, Connections and XComs as the task process fetches them, for
 * templates and task code alike. This is where secrets enter the process, so
 * this is where they are registered with the masker.
 */
import type { ConnectionInfo } from '@updraft/sdk/runtime';
import type { ExecutionClient, XComEntry } from './execution-client.ts';
import { isSensitiveName, type SecretsMasker } from './secrets-masker.ts';
import type { XComSource } from './xcom-select.ts';

export class TaskLookups {
  private readonly client: ExecutionClient;
  private readonly masker: SecretsMasker;

  constructor(client: ExecutionClient, masker: SecretsMasker) {
    this.client = client;
    this.masker = masker;
  }

  /** The Variable's value, null when it does not exist. */
  async variable(key: string): Promise<string | null> {
    const entry = await this.client.getVariable(key);
    if (!entry) return null;
    // an api-server that predates is_sensitive: judge the name as Airflow does
    if (entry.is_sensitive ?? isSensitiveName(key)) maskVariable(this.masker, entry.value);
    return entry.value;
  }

  async connection(connId: string): Promise<ConnectionInfo | null> {
    const conn = await this.client.getConnection(connId);
    if (conn) maskConnection(this.masker, conn);
    return conn;
  }

  xcoms(source: XComSource): Promise<XComEntry[]> {
    return source.kind === 'run'
      ? this.client.listRunXComs(source.dag_id, source.run_id)
      : this.client.lookupXComs(source.dag_id, source.date, source.include_prior_dates);
  }
}

/** A sensitive Variable is secret whole, and so is each string inside it when it holds JSON. */
export function maskVariable(masker: SecretsMasker, value: string): void {
  masker.add(value);
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object') masker.add(parsed, 'secret');
  } catch {
    // plain text
  }
}

/** Airflow masks every connection password, and the extra's fields whose names look sensitive. */
export function maskConnection(masker: SecretsMasker, conn: ConnectionInfo): void {
  if (conn.password) masker.add(conn.password);
  masker.add(conn.extra_dejson ?? {}, 'extra');
}

/** Imports one DAG file in this process and serializes the DAGs it defines (or says why it cannot). */
import { serializeDag } from '@updraft/sdk';
import type { SerializedDag } from '@updraft/sdk/serialized';
import { importDagFile } from '../task-runner/load-dag.ts';

export type ParseResult = { ok: true; dags: SerializedDag[] } | { ok: false; message: string; stack: string };

export async function serializeFile(file: string): Promise<ParseResult> {
  try {
    const dags = await importDagFile(file);
    const seen = new Set<string>();
    const serialized = dags.map((dag) => {
      if (seen.has(dag.dag_id)) throw new Error(`${file}: DAG '${dag.dag_id}' is defined twice in this file`);
      seen.add(dag.dag_id);
      return serializeDag(dag, file);
    });
    return { ok: true, dags: serialized };
  } catch (err) {
    const e = err as Error;
    const message = e?.message ?? String(err);
    // an exception thrown by the file itself does not say which file it was
    return { ok: false, message: message.includes(file) ? message : `${file}: ${message}`, stack: e?.stack ?? String(err) };
  }
}

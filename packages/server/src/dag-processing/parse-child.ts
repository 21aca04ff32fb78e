/**
 * Child process that imports one DAG file and prints its DAGs, serialized, as
 * one JSON line on stdout. Runs apart from every long-lived component so a file
 * that hangs, throws or exits cannot take them down.
 */
import { serializeDag } from '@updraft/sdk';
import { importDagFile } from '../task-runner/load-dag.ts';

const file = process.argv[2];
const out = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`, () => process.exit(0));

try {
  const dags = await importDagFile(file);
  const seen = new Set<string>();
  const serialized = dags.map((dag) => {
    if (seen.has(dag.dag_id)) throw new Error(`${file}: DAG '${dag.dag_id}' is defined twice in this file`);
    seen.add(dag.dag_id);
    return serializeDag(dag, file);
  });
  out({ ok: true, dags: serialized });
} catch (err) {
  const e = err as Error;
  const message = e?.message ?? String(err);
  // an exception thrown by the file itself does not say which file it was
  out({ ok: false, message: message.includes(file) ? message : `${file}: ${message}`, stack: e?.stack ?? String(err) });
}

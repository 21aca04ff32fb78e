/**
 * A parsing process: imports the DAG files it is sent over IPC, one at a time,
 * and answers with their serialized DAGs. The parent kills it when a file takes
 * longer than [core] dagbag_import_timeout, and retires it after a number of
 * files (every import stays in Node's module cache).
 */
import { serializeFile } from './serialize-file.ts';

process.on('message', (message: { file: string }) => {
  void serializeFile(message.file).then((result) => process.send?.(result));
});
// the processor went away: nothing left to parse for
process.on('disconnect', () => process.exit(0));

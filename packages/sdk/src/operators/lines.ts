/**
 * Splits a byte stream into text lines as they arrive, so each output line of
 * a subprocess can be logged live instead of when the process ends.
 */
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';

/**
 * Calls onLine for every line of `stream` (trailing whitespace removed, as
 * Airflow's rstrip()), including a last line without newline. Resolves at end.
 */
export function forEachLine(stream: Readable, decoder: TextDecoder, onLine: (line: string) => void): Promise<void> {
  let pending = '';
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line.trimEnd());
    });
    stream.on('end', () => {
      pending += decoder.decode();
      if (pending !== '') onLine(pending.trimEnd());
      resolve();
    });
    stream.on('error', reject);
  });
}

/**
 * The try's log file: one line per message, `[timestamp] {source} LEVEL - message`,
 * the shape Airflow users read. Written with appendFileSync so a line is on
 * disk before the process can be killed. Every message passes the secrets
 * masker first, whatever wrote it (task code, captured stdout, bash output).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskLogger } from '@updraft/sdk/runtime';
import { secretsMasker, type SecretsMasker } from './secrets-masker.ts';

export class TaskLog {
  private readonly fd: number;
  private readonly masker: SecretsMasker;

  constructor(file: string, masker: SecretsMasker = secretsMasker) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
    this.masker = masker;
  }

  write(source: string, level: string, message: string) {
    const stamp = new Date().toISOString();
    // masked before splitting, so a secret spanning lines is caught whole
    const lines = this.masker.redact(message).replace(/\n$/, '').split('\n');
    fs.writeSync(this.fd, lines.map((l) => `[${stamp}] {${source}} ${level} - ${l}\n`).join(''));
  }

  logger(source: string): TaskLogger {
    return {
      debug: (m) => this.write(source, 'DEBUG', m),
      info: (m) => this.write(source, 'INFO', m),
      warning: (m) => this.write(source, 'WARNING', m),
      error: (m) => this.write(source, 'ERROR', m),
    };
  }

  /** Sends everything the task prints (console.log, process.stdout.write) into the file. */
  captureStdio() {
    const capture = (source: string, level: string) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.write(source, level, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        cb?.();
        return true;
      }) as typeof process.stdout.write;
    process.stdout.write = capture('stdout', 'INFO');
    process.stderr.write = capture('stderr', 'WARNING');
  }

  close() {
    fs.closeSync(this.fd);
  }
}

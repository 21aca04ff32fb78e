/**
 * The try's log file: one line per message, `[timestamp] {source} LEVEL - message`,
 * the shape Airflow users read. Written with appendFileSync so a line is on
 * disk before the process can be killed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskLogger } from '@updraft/sdk/runtime';

export class TaskLog {
  private readonly fd: number;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
  }

  write(source: string, level: string, message: string) {
    const stamp = new Date().toISOString();
    const lines = message.replace(/\n$/, '').split('\n');
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

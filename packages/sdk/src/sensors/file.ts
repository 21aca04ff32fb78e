/**
 * FileSensor: waits for a file or folder (glob patterns allowed) on the
 * worker's file system; the base path comes from an `fs` connection's
 * extra.path, as in Airflow.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.ts';
import { getTaskRuntime } from '../runtime.ts';
import { BaseSensorOperator, type BaseSensorOptions } from './base.ts';

export interface FileSensorOptions extends BaseSensorOptions {
  filepath: string;
  fs_conn_id?: string;
  /** a folder pattern also matches files below it */
  recursive?: boolean;
}

export class FileSensor extends BaseSensorOperator {
  static override template_fields = ['filepath'];
  filepath: string;
  fs_conn_id: string;
  recursive: boolean;

  constructor(options: FileSensorOptions) {
    super(options);
    this.filepath = options.filepath;
    this.fs_conn_id = options.fs_conn_id ?? 'fs_default';
    this.recursive = options.recursive ?? false;
  }

  async poke(context: Context): Promise<boolean> {
    let base = '';
    const conn = await getTaskRuntime().getConnection(this.fs_conn_id).catch(() => null);
    if (conn) base = String(conn.extra_dejson.path ?? '');
    const full = path.resolve(base || '/', this.filepath);
    context.ti.log.info(`Poking for file ${full}`);
    for await (const match of fs.promises.glob(full)) {
      const stat = await fs.promises.stat(match).catch(() => null);
      if (!stat) continue;
      if (stat.isFile()) {
        context.ti.log.info(`Found File ${match} last modified: ${stat.mtime.toISOString()}`);
        return true;
      }
      if (stat.isDirectory()) {
        const entries = this.recursive ? await fs.promises.readdir(match, { recursive: true }) : await fs.promises.readdir(match);
        if (entries.length > 0 || !this.recursive) return true;
      }
    }
    return false;
  }

  override serializeFields(): Record<string, unknown> {
    return { ...super.serializeFields(), filepath: this.filepath, fs_conn_id: this.fs_conn_id };
  }
}

/**
 * XCom values too large for a database row ([core] xcom_objectstorage_threshold)
 * go to object storage — a local folder, or S3 when [core]
 * xcom_objectstorage_path is s3://bucket/prefix — and the row keeps only a
 * reference (file:///… or s3://bucket/key), as Airflow's object storage XCom
 * backend does. A reference is resolved by its own scheme, so values written
 * before the setting changed stay readable.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/config.ts';

export interface XComAddress {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  key: string;
}

export class XComStorageError extends Error {}

function parseS3(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new XComStorageError(`Not an S3 URL: ${url} (expected s3://bucket/prefix)`);
  return { bucket: m[1], prefix: m[2].replace(/\/+$/, '') };
}

export class XComObjectStorage {
  /** bytes of JSON above which a value is offloaded; -1: never */
  readonly threshold: number;
  /** an s3:// URL or an absolute folder */
  readonly location: string;
  private readonly endpointUrl: string;
  private s3: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | null = null;

  constructor(options: { threshold: number; location: string; endpointUrl?: string }) {
    this.threshold = options.threshold;
    this.location = options.location;
    this.endpointUrl = options.endpointUrl ?? '';
  }

  static fromConfig(config: Config): XComObjectStorage {
    const configured = config.str('core', 'xcom_objectstorage_path').trim();
    const location = configured.startsWith('s3://') ? configured : path.resolve(config.home, configured.replace(/^file:\/\//, '') || 'xcom');
    return new XComObjectStorage({
      threshold: config.int('core', 'xcom_objectstorage_threshold'),
      location,
      endpointUrl: config.str('core', 'xcom_objectstorage_endpoint_url'),
    });
  }

  shouldOffload(bytes: number): boolean {
    return this.threshold >= 0 && bytes > this.threshold;
  }

  /** Stores `json` and returns its reference. */
  async put(x: XComAddress, json: string): Promise<string> {
    // key=value folders like the task logs; encoded so no id can climb out of its folder.
    // The random name keeps a value that a row still references from being overwritten by a newer push.
    const parts = [`dag_id=${encodeURIComponent(x.dag_id)}`, `run_id=${encodeURIComponent(x.run_id)}`, `task_id=${encodeURIComponent(x.task_id)}`, `map_index=${x.map_index}`, `${encodeURIComponent(x.key)}.${crypto.randomUUID()}.json`];
    if (this.location.startsWith('s3://')) {
      const { bucket, prefix } = parseS3(this.location);
      const objectKey = [prefix, ...parts].filter(Boolean).join('/');
      const { client, sdk } = await this.s3Client();
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: json, ContentType: 'application/json' }));
      return `s3://${bucket}/${objectKey}`;
    }
    const file = path.join(this.location, ...parts);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, json, { flag: 'wx' });
    return pathToFileURL(file).href;
  }

  /** The value a reference points to. */
  async get(ref: string): Promise<unknown> {
    let text: string;
    try {
      if (ref.startsWith('s3://')) {
        const { bucket, prefix: key } = parseS3(ref);
        const { client, sdk } = await this.s3Client();
        const res = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        text = (await res.Body?.transformToString('utf8')) ?? '';
      } else {
        text = await fs.readFile(fileURLToPath(ref), 'utf8');
      }
    } catch (err) {
      throw new XComStorageError(`The XCom value stored at ${ref} cannot be read: ${(err as Error).message}`);
    }
    return JSON.parse(text);
  }

  /** Deletes stored values; ones already gone are no error. */
  async remove(refs: string[]): Promise<void> {
    for (const ref of refs) {
      if (ref.startsWith('s3://')) {
        const { bucket, prefix: key } = parseS3(ref);
        const { client, sdk } = await this.s3Client();
        await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } else {
        await fs.rm(fileURLToPath(ref), { force: true });
      }
    }
  }

  /** The AWS SDK is loaded on first use: most installations never offload to S3. */
  private s3Client() {
    this.s3 ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        ...(this.endpointUrl ? { endpoint: this.endpointUrl, forcePathStyle: true } : {}),
      }),
    }));
    return this.s3;
  }

  close(): void {
    void this.s3?.then(({ client }) => client.destroy()).catch(() => undefined);
  }
}

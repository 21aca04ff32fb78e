/**
 * S3Hook: Airflow's S3 helper methods over the AWS SDK v3 S3 client. A key may
 * be given as a full s3:// URL instead of key + bucket_name, as in Airflow.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AirflowException } from '@updraft/sdk';
import { AwsBaseHook, type AwsHookOptions } from './base-aws.ts';
import { fnmatch, wildcardPrefix } from '../wildcard.ts';

export interface S3Location {
  bucket: string;
  key: string;
}

/** An object's key and what HeadObject / ListObjects say about it (size, last modified …). */
export interface S3ObjectInfo {
  Key: string;
  Size?: number;
  LastModified?: Date;
  ETag?: string;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.$metadata?.httpStatusCode === 404 || e?.name === 'NotFound' || e?.name === 'NoSuchKey';
}

export class S3Hook extends AwsBaseHook<S3Client> {
  constructor(options: AwsHookOptions = {}) {
    super(S3Client, 's3', options);
  }

  /** s3://bucket/key/parts → {bucket, key}; throws on anything else. */
  static parse_s3_url(url: string): S3Location {
    const m = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(url);
    if (!m) throw new AirflowException(`Please provide a bucket name using a valid format: ${url}`);
    return { bucket: m[1], key: m[2] };
  }

  /** Airflow's unify_bucket_name_and_key: a missing bucket_name is taken from an s3:// key. */
  static locate(key: string, bucket_name: string | null | undefined): S3Location {
    if (bucket_name) return { bucket: bucket_name, key };
    if (!/^s3[an]?:\/\//.test(key)) {
      throw new AirflowException(`No bucket_name was given and the key '${key}' is not an s3:// URL`);
    }
    return S3Hook.parse_s3_url(key);
  }

  async check_for_bucket(bucket_name: string): Promise<boolean> {
    const s3 = await this.get_conn();
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket_name }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async create_bucket(bucket_name: string, region_name: string | null = null): Promise<void> {
    const s3 = await this.get_conn();
    const region = region_name ?? (await s3.config.region());
    // us-east-1 is the one region that refuses a LocationConstraint naming itself
    const configuration = region && region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } } : {};
    await s3.send(new CreateBucketCommand({ Bucket: bucket_name, ...configuration }));
  }

  /** Deletes the bucket; with force_delete its objects first (S3 refuses to delete a non-empty bucket). */
  async delete_bucket(bucket_name: string, force_delete = false): Promise<void> {
    const s3 = await this.get_conn();
    if (force_delete) {
      const keys = await this.list_keys(bucket_name);
      if (keys.length) await this.delete_objects(bucket_name, keys);
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket_name }));
  }

  async #listPages(bucket_name: string, prefix: string, delimiter: string, onPage: (page: ListObjectsV2CommandOutput) => void): Promise<void> {
    const s3 = await this.get_conn();
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket_name, Prefix: prefix || undefined, Delimiter: delimiter || undefined, ContinuationToken: token }),
      );
      onPage(page);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Objects under `prefix` (all pages), with size and last-modified time. */
  async list_objects(bucket_name: string, prefix = '', delimiter = ''): Promise<S3ObjectInfo[]> {
    const out: S3ObjectInfo[] = [];
    await this.#listPages(bucket_name, prefix, delimiter, (page) => {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push({ Key: o.Key, Size: o.Size, LastModified: o.LastModified, ETag: o.ETag });
    });
    return out;
  }

  /** Keys under `prefix`; with `delimiter`, only those not inside a deeper "folder". */
  async list_keys(bucket_name: string, prefix = '', delimiter = ''): Promise<string[]> {
    return (await this.list_objects(bucket_name, prefix, delimiter)).map((o) => o.Key);
  }

  /** The "folders" directly under `prefix` (CommonPrefixes). */
  async list_prefixes(bucket_name: string, prefix = '', delimiter = '/'): Promise<string[]> {
    const out: string[] = [];
    await this.#listPages(bucket_name, prefix, delimiter, (page) => {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
    });
    return out;
  }

  /** HeadObject, or null when the object does not exist. */
  async head_object(key: string, bucket_name: string | null = null): Promise<HeadObjectCommandOutput | null> {
    const loc = S3Hook.locate(key, bucket_name);
    const s3 = await this.get_conn();
    try {
      return await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async check_for_key(key: string, bucket_name: string | null = null): Promise<boolean> {
    return (await this.head_object(key, bucket_name)) !== null;
  }

  /** The object's metadata (throws the service's error when it is missing, like boto's Object.load()). */
  async get_key(key: string, bucket_name: string | null = null): Promise<S3ObjectInfo & { bucket_name: string; ContentType?: string; Metadata?: Record<string, string> }> {
    const loc = S3Hook.locate(key, bucket_name);
    const s3 = await this.get_conn();
    const head = await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    return { bucket_name: loc.bucket, Key: loc.key, Size: head.ContentLength, LastModified: head.LastModified, ETag: head.ETag, ContentType: head.ContentType, Metadata: head.Metadata };
  }

  async read_bytes(key: string, bucket_name: string | null = null): Promise<Uint8Array> {
    const loc = S3Hook.locate(key, bucket_name);
    const s3 = await this.get_conn();
    const object = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    if (!object.Body) return new Uint8Array();
    return object.Body.transformToByteArray();
  }

  /** The object's content as text (Airflow's read_key). */
  async read_key(key: string, bucket_name: string | null = null, encoding: BufferEncoding = 'utf-8'): Promise<string> {
    return Buffer.from(await this.read_bytes(key, bucket_name)).toString(encoding);
  }

  /** The object parsed as JSON; a file that is not JSON fails with the object named. */
  async read_json<T = unknown>(key: string, bucket_name: string | null = null): Promise<T> {
    const loc = S3Hook.locate(key, bucket_name);
    const content = await this.read_key(loc.key, loc.bucket);
    try {
      return JSON.parse(content) as T;
    } catch (error) {
      throw new AirflowException(`s3://${loc.bucket}/${loc.key} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Keys matching a shell-style wildcard (fnmatch: * ? [seq]); listing starts at the part before the first wildcard. */
  async list_wildcard_keys(wildcard_key: string, bucket_name: string | null = null, delimiter = ''): Promise<S3ObjectInfo[]> {
    const loc = S3Hook.locate(wildcard_key, bucket_name);
    const objects = await this.list_objects(loc.bucket, wildcardPrefix(loc.key), delimiter);
    return objects.filter((o) => fnmatch(o.Key, loc.key));
  }

  async check_for_wildcard_key(wildcard_key: string, bucket_name: string | null = null, delimiter = ''): Promise<boolean> {
    return (await this.list_wildcard_keys(wildcard_key, bucket_name, delimiter)).length > 0;
  }

  /** The first object matching the wildcard, or null. */
  async get_wildcard_key(wildcard_key: string, bucket_name: string | null = null, delimiter = ''): Promise<S3ObjectInfo | null> {
    return (await this.list_wildcard_keys(wildcard_key, bucket_name, delimiter))[0] ?? null;
  }

  async load_bytes(bytes_data: Uint8Array | string, key: string, bucket_name: string | null = null, replace = false, content_type?: string): Promise<void> {
    const loc = S3Hook.locate(key, bucket_name);
    if (!replace && (await this.check_for_key(loc.key, loc.bucket))) {
      throw new AirflowException(`The key ${loc.key} already exists.`);
    }
    const s3 = await this.get_conn();
    await s3.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: bytes_data, ...(content_type ? { ContentType: content_type } : {}) }));
  }

  /** Writes a string as the object (refuses to overwrite unless `replace`, like Airflow). */
  async load_string(string_data: string, key: string, bucket_name: string | null = null, replace = false, encoding: BufferEncoding = 'utf-8'): Promise<void> {
    await this.load_bytes(Buffer.from(string_data, encoding), key, bucket_name, replace);
  }

  /** Uploads a local file as the object (Airflow's load_file). */
  async load_file(filename: string, key: string, bucket_name: string | null = null, replace = false): Promise<void> {
    await this.load_bytes(await fs.readFile(filename), key, bucket_name, replace);
  }

  /**
   * Downloads the object into `local_path` (a directory; default the temporary
   * one) and returns the file's path (Airflow's download_file); with
   * preserve_file_name the file keeps the key's last part as its name.
   */
  async download_file(key: string, bucket_name: string | null = null, local_path: string | null = null, preserve_file_name = false): Promise<string> {
    const loc = S3Hook.locate(key, bucket_name);
    const dir = local_path ?? os.tmpdir();
    const bytes = await this.read_bytes(loc.key, loc.bucket);
    const file = preserve_file_name ? path.join(dir, path.basename(loc.key)) : path.join(await fs.mkdtemp(path.join(dir, 'airflow_tmp_')), 'data');
    await fs.writeFile(file, bytes);
    return file;
  }

  /** Copies an object; keys may be s3:// URLs, then their bucket names are taken from them. */
  async copy_object(
    source_bucket_key: string,
    dest_bucket_key: string,
    source_bucket_name: string | null = null,
    dest_bucket_name: string | null = null,
  ): Promise<void> {
    const src = S3Hook.locate(source_bucket_key, source_bucket_name);
    const dst = S3Hook.locate(dest_bucket_key, dest_bucket_name);
    const s3 = await this.get_conn();
    const copySource = `${src.bucket}/${src.key.split('/').map(encodeURIComponent).join('/')}`;
    await s3.send(new CopyObjectCommand({ Bucket: dst.bucket, Key: dst.key, CopySource: copySource }));
  }

  /** Deletes keys in batches of 1000 (the API's limit); a key S3 could not delete fails the call, naming it. */
  async delete_objects(bucket: string, keys: string | string[]): Promise<void> {
    const list = Array.isArray(keys) ? keys : [keys];
    const s3 = await this.get_conn();
    for (let i = 0; i < list.length; i += 1000) {
      const chunk = list.slice(i, i + 1000);
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }));
      if (out.Errors?.length) {
        const first = out.Errors[0];
        throw new AirflowException(`Errors when deleting: ${out.Errors.map((e) => e.Key).join(', ')} (${first.Code}: ${first.Message})`);
      }
    }
  }
}

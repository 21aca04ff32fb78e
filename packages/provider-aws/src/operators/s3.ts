/** S3 operators: create/delete bucket, create/copy/delete objects, list keys (Airflow's names and template fields). */
import { AirflowException, type BaseOperatorOptions, type Context, withDefaultArgs } from '@updraft/sdk';
import type { AwsOptions } from '../aws-options.ts';
import { AwsBaseOperator } from './aws-base.ts';
import { S3Hook } from '../hooks/s3.ts';

abstract class S3BaseOperator extends AwsBaseOperator {
  protected hook(): S3Hook {
    return new S3Hook(this.hook_params);
  }
}

export interface S3CreateBucketOptions extends BaseOperatorOptions, AwsOptions {
  bucket_name: string;
}

export class S3CreateBucketOperator extends S3BaseOperator {
  static template_fields = ['bucket_name'];
  bucket_name: string;

  constructor(options: S3CreateBucketOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.bucket_name = args.bucket_name;
  }

  async execute(context: Context): Promise<void> {
    const hook = this.hook();
    if (await hook.check_for_bucket(this.bucket_name)) {
      context.log.warning(`Bucket with name: ${this.bucket_name} already exists`);
      return;
    }
    await hook.create_bucket(this.bucket_name, this.region_name);
    context.log.info(`Created bucket with name: ${this.bucket_name}`);
  }

  override serializeFields() {
    return { bucket_name: this.bucket_name, aws_conn_id: this.aws_conn_id };
  }
}

export interface S3DeleteBucketOptions extends S3CreateBucketOptions {
  force_delete?: boolean;
}

export class S3DeleteBucketOperator extends S3BaseOperator {
  static template_fields = ['bucket_name'];
  bucket_name: string;
  force_delete: boolean;

  constructor(options: S3DeleteBucketOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.bucket_name = args.bucket_name;
    this.force_delete = args.force_delete ?? false;
  }

  async execute(context: Context): Promise<void> {
    const hook = this.hook();
    if (!(await hook.check_for_bucket(this.bucket_name))) {
      context.log.info(`Bucket with name: ${this.bucket_name} doesn't exist`);
      return;
    }
    await hook.delete_bucket(this.bucket_name, this.force_delete);
    context.log.info(`Deleted bucket with name: ${this.bucket_name}`);
  }

  override serializeFields() {
    return { bucket_name: this.bucket_name, force_delete: this.force_delete, aws_conn_id: this.aws_conn_id };
  }
}

export interface S3CreateObjectOptions extends BaseOperatorOptions, AwsOptions {
  /** the key, or an s3:// URL when s3_bucket is not given */
  s3_key: string;
  s3_bucket?: string | null;
  data: string | Uint8Array;
  replace?: boolean;
}

export class S3CreateObjectOperator extends S3BaseOperator {
  static template_fields = ['s3_bucket', 's3_key', 'data'];
  s3_bucket: string | null;
  s3_key: string;
  data: string | Uint8Array;
  replace: boolean;

  constructor(options: S3CreateObjectOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.s3_bucket = args.s3_bucket ?? null;
    this.s3_key = args.s3_key;
    this.data = args.data;
    this.replace = args.replace ?? false;
  }

  async execute(context: Context): Promise<void> {
    const loc = S3Hook.locate(this.s3_key, this.s3_bucket);
    await this.hook().load_bytes(typeof this.data === 'string' ? Buffer.from(this.data) : this.data, loc.key, loc.bucket, this.replace);
    context.log.info(`Wrote s3://${loc.bucket}/${loc.key}`);
  }

  override serializeFields() {
    return { s3_bucket: this.s3_bucket, s3_key: this.s3_key, replace: this.replace, aws_conn_id: this.aws_conn_id };
  }
}

export interface S3CopyObjectOptions extends BaseOperatorOptions, AwsOptions {
  source_bucket_key: string;
  dest_bucket_key: string;
  source_bucket_name?: string | null;
  dest_bucket_name?: string | null;
}

export class S3CopyObjectOperator extends S3BaseOperator {
  static template_fields = ['source_bucket_key', 'dest_bucket_key', 'source_bucket_name', 'dest_bucket_name'];
  source_bucket_key: string;
  dest_bucket_key: string;
  source_bucket_name: string | null;
  dest_bucket_name: string | null;

  constructor(options: S3CopyObjectOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.source_bucket_key = args.source_bucket_key;
    this.dest_bucket_key = args.dest_bucket_key;
    this.source_bucket_name = args.source_bucket_name ?? null;
    this.dest_bucket_name = args.dest_bucket_name ?? null;
  }

  async execute(_context: Context): Promise<void> {
    await this.hook().copy_object(this.source_bucket_key, this.dest_bucket_key, this.source_bucket_name, this.dest_bucket_name);
  }

  override serializeFields() {
    return { source_bucket_key: this.source_bucket_key, dest_bucket_key: this.dest_bucket_key, source_bucket_name: this.source_bucket_name, dest_bucket_name: this.dest_bucket_name };
  }
}

export interface S3DeleteObjectsOptions extends BaseOperatorOptions, AwsOptions {
  bucket: string;
  /** a key or keys to delete … */
  keys?: string | string[] | null;
  /** … or every key under this prefix */
  prefix?: string | null;
}

export class S3DeleteObjectsOperator extends S3BaseOperator {
  static template_fields = ['keys', 'bucket', 'prefix'];
  bucket: string;
  keys: string | string[] | null;
  prefix: string | null;

  constructor(options: S3DeleteObjectsOptions) {
    const args = withDefaultArgs(options);
    if ((args.keys == null) === (args.prefix == null)) {
      throw new AirflowException(`task '${args.task_id}': give exactly one of keys and prefix`);
    }
    super(args);
    this.bucket = args.bucket;
    this.keys = args.keys ?? null;
    this.prefix = args.prefix ?? null;
  }

  async execute(context: Context): Promise<void> {
    const hook = this.hook();
    const keys = this.keys !== null ? this.keys : await hook.list_keys(this.bucket, this.prefix ?? '');
    if (Array.isArray(keys) && keys.length === 0) {
      context.log.info('No keys to delete');
      return;
    }
    await hook.delete_objects(this.bucket, keys);
    context.log.info(`Deleted ${Array.isArray(keys) ? keys.length : 1} object(s) from ${this.bucket}`);
  }

  override serializeFields() {
    return { bucket: this.bucket, keys: this.keys, prefix: this.prefix };
  }
}

export interface S3ListOptions extends BaseOperatorOptions, AwsOptions {
  bucket: string;
  prefix?: string;
  delimiter?: string;
}

/** Returns the keys under prefix (the return_value XCom), like Airflow's S3ListOperator. */
export class S3ListOperator extends S3BaseOperator {
  static template_fields = ['bucket', 'prefix', 'delimiter'];
  bucket: string;
  prefix: string;
  delimiter: string;

  constructor(options: S3ListOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.bucket = args.bucket;
    this.prefix = args.prefix ?? '';
    this.delimiter = args.delimiter ?? '';
  }

  async execute(context: Context): Promise<string[]> {
    context.log.info(`Getting the list of files from bucket: ${this.bucket} in prefix: ${this.prefix} (Delimiter ${this.delimiter})`);
    return this.hook().list_keys(this.bucket, this.prefix, this.delimiter);
  }

  override serializeFields() {
    return { bucket: this.bucket, prefix: this.prefix, delimiter: this.delimiter };
  }
}

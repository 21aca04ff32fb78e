/**
 * S3KeySensor: waits for one or more keys (s3:// URLs or keys in bucket_name),
 * optionally shell-style wildcards, in mode poke or reschedule, or deferred to
 * the triggerer (deferrable: true).
 */
import { AirflowException, type BaseSensorOptions, type Context, isFailurePayload, withDefaultArgs } from '@updraft/sdk';
import type { AwsOptions } from '../aws-options.ts';
import { AwsBaseSensor } from '../operators/aws-base.ts';
import { S3Hook, type S3ObjectInfo } from '../hooks/s3.ts';
import { S3KeyTrigger, keysPresent } from '../triggers/s3.ts';

export interface S3KeySensorOptions extends BaseSensorOptions, AwsOptions {
  bucket_key: string | string[];
  bucket_name?: string | null;
  wildcard_match?: boolean;
  /** called with the matching objects' metadata (size, last modified); its truthiness decides */
  check_fn?: ((files: S3ObjectInfo[]) => boolean) | null;
  /** Airflow 1.10's name for aws_conn_id */
  s3_conn_id?: string | null;
}

export class S3KeySensor extends AwsBaseSensor {
  static template_fields = ['bucket_key', 'bucket_name'];
  bucket_key: string | string[];
  bucket_name: string | null;
  wildcard_match: boolean;
  check_fn: ((files: S3ObjectInfo[]) => boolean) | null;

  constructor(options: S3KeySensorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.bucket_key = args.bucket_key;
    this.bucket_name = args.bucket_name ?? null;
    this.wildcard_match = args.wildcard_match ?? false;
    this.check_fn = args.check_fn ?? null;
  }

  get #keys(): string[] {
    return Array.isArray(this.bucket_key) ? this.bucket_key : [this.bucket_key];
  }

  async poke(context: Context): Promise<boolean> {
    const hook = new S3Hook(this.hook_params);
    for (const key of this.#keys) {
      const loc = S3Hook.locate(key, this.bucket_name);
      context.log.info(`Poking for key : s3://${loc.bucket}/${loc.key}`);
    }
    if (!this.check_fn) return keysPresent(hook, this.#keys, this.bucket_name, this.wildcard_match);
    const files: S3ObjectInfo[] = [];
    for (const key of this.#keys) {
      if (this.wildcard_match) {
        const matches = await hook.list_wildcard_keys(key, this.bucket_name);
        if (!matches.length) return false;
        files.push(...matches);
      } else {
        const head = await hook.head_object(key, this.bucket_name);
        if (!head) return false;
        files.push({ Key: S3Hook.locate(key, this.bucket_name).key, Size: head.ContentLength, LastModified: head.LastModified, ETag: head.ETag });
      }
    }
    return Boolean(this.check_fn(files));
  }

  override async execute(context: Context): Promise<unknown> {
    if (!this.deferrable) return super.execute(context);
    if (await this.poke(context)) return undefined;
    this.defer({
      trigger: new S3KeyTrigger({
        bucket_name: this.bucket_name,
        bucket_key: this.#keys,
        wildcard_match: this.wildcard_match,
        aws_conn_id: this.aws_conn_id,
        region_name: this.region_name,
        poke_interval: this.poke_interval,
      }),
      method_name: 'execute_complete',
      timeout: this.timeout,
    });
  }

  /** Resumes after the trigger fired: an error event fails the task with the trigger's message. */
  execute_complete(_context: Context, event: unknown): void {
    if (isFailurePayload(event)) throw new AirflowException(event.message ?? 'S3KeyTrigger failed');
  }

  override serializeFields() {
    return { ...super.serializeFields(), bucket_key: this.bucket_key, bucket_name: this.bucket_name, wildcard_match: this.wildcard_match, deferrable: this.deferrable };
  }
}

/** S3KeyTrigger: waits in the triggerer until every key (or wildcard) exists. */
import { S3Hook } from '../hooks/s3.ts';
import { AwsPollingTrigger, type AwsTriggerKwargs, type CheckResult } from './base-aws.ts';

export interface S3KeyTriggerKwargs extends AwsTriggerKwargs {
  bucket_name: string | null;
  bucket_key: string[];
  wildcard_match?: boolean;
}

export class S3KeyTrigger extends AwsPollingTrigger<S3KeyTriggerKwargs> {
  protected get exportName() {
    return 'S3KeyTrigger';
  }

  protected async check(): Promise<CheckResult> {
    const { bucket_name, bucket_key, wildcard_match, aws_conn_id, region_name } = this.kwargs;
    const found = await keysPresent(new S3Hook({ aws_conn_id, region_name }), bucket_key, bucket_name, wildcard_match ?? false);
    return found ? { done: true, payload: { message: 'Success criteria met. Exiting.' } } : { done: false };
  }
}

/** True when every key exists (a wildcard key: when at least one object matches it). */
export async function keysPresent(hook: S3Hook, keys: string[], bucket_name: string | null, wildcard: boolean): Promise<boolean> {
  for (const key of keys) {
    const ok = wildcard ? await hook.check_for_wildcard_key(key, bucket_name) : await hook.check_for_key(key, bucket_name);
    if (!ok) return false;
  }
  return true;
}

/** Options every AWS operator and sensor takes (Airflow's AwsBaseOperator arguments). */
export interface AwsOptions {
  /** the `aws` connection; null or undefined id → the SDK's default chain (default 'aws_default') */
  aws_conn_id?: string | null;
  region_name?: string | null;
}

/** The connection id and region an operator got, with Airflow's default id. */
export function awsOptions(args: AwsOptions & { s3_conn_id?: string | null }): { aws_conn_id: string | null; region_name: string | null } {
  // s3_conn_id is Airflow 1.10's name for it (the reference posts use it)
  const id = args.aws_conn_id !== undefined ? args.aws_conn_id : args.s3_conn_id !== undefined ? args.s3_conn_id : 'aws_default';
  return { aws_conn_id: id, region_name: args.region_name ?? null };
}

/** Seconds to wait, from a number of seconds (what the sensors and waiters take). */
export function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, seconds * 1000);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

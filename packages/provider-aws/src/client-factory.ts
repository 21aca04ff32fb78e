/**
 * One place that turns an `aws` connection into AWS SDK v3 clients, shared by
 * every hook, operator, sensor and trigger of the provider: region, endpoint
 * (per-service override first), static credentials or the default chain, an
 * assumed role, and error messages in the form Airflow users know from boto
 * ("An error occurred (NoSuchBucket) when calling the GetObject operation: …").
 */
import { fromIni, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsConnectionConfig } from './connection.ts';

/** The constructor shape all AWS SDK v3 clients share (only what we use of it). */
export interface AwsClientLike {
  middlewareStack: { add(middleware: unknown, options: Record<string, unknown>): void };
  destroy(): void;
}
export type AwsClientClass<C extends AwsClientLike> = new (config: Record<string, unknown>) => C;

/** Airflow's client_type names, which are also the keys of extra.service_config. */
export type AwsServiceName = 's3' | 'emr' | 'athena' | 'stepfunctions' | 'glue' | 'redshift-data' | 'lambda' | 'sns' | 'sqs' | 'sts';

export const DEFAULT_REGION_ENV = ['AWS_REGION', 'AWS_DEFAULT_REGION'];

/** The region a client uses: the hook's, the service's override, the connection's, then the environment's. */
export function regionFor(config: AwsConnectionConfig, service: AwsServiceName, override: string | null = null): string | undefined {
  return override ?? config.service_config[service]?.region_name ?? config.region_name ?? DEFAULT_REGION_ENV.map((n) => process.env[n]).find(Boolean) ?? undefined;
}

export function endpointFor(config: AwsConnectionConfig, service: AwsServiceName): string | undefined {
  return config.service_config[service]?.endpoint_url ?? config.endpoint_url ?? undefined;
}

function credentialsFor(config: AwsConnectionConfig, region: string | undefined): unknown {
  const base = config.credentials ?? (config.profile_name ? fromIni({ profile: config.profile_name }) : undefined);
  if (!config.role_arn) return base;
  const { RoleSessionName, ...rest } = config.assume_role_kwargs as { RoleSessionName?: string };
  return fromTemporaryCredentials({
    params: { RoleArn: config.role_arn, RoleSessionName: RoleSessionName ?? `Airflow_${config.conn_id ?? 'default'}`, ...rest },
    ...(base ? { masterCredentials: base as never } : {}),
    clientConfig: { region, ...(endpointFor(config, 'sts') ? { endpoint: endpointFor(config, 'sts') } : {}) },
  });
}

/** botocore's Config (retries, timeouts in seconds) as AWS SDK v3 client settings. */
function retryAndTimeouts(config: AwsConnectionConfig): Record<string, unknown> {
  const { retries, connect_timeout, read_timeout } = config.config_kwargs;
  const out: Record<string, unknown> = {};
  // botocore counts retries after the first try in max_attempts, the SDK counts every try
  if (retries?.total_max_attempts !== undefined) out.maxAttempts = retries.total_max_attempts;
  else if (retries?.max_attempts !== undefined) out.maxAttempts = retries.max_attempts + 1;
  if (retries?.mode === 'adaptive') out.retryMode = 'adaptive';
  else if (retries?.mode) out.retryMode = 'standard';
  if (connect_timeout !== undefined || read_timeout !== undefined) {
    out.requestHandler = {
      ...(connect_timeout !== undefined ? { connectionTimeout: connect_timeout * 1000 } : {}),
      ...(read_timeout !== undefined ? { requestTimeout: read_timeout * 1000 } : {}),
    };
  }
  return out;
}

/**
 * Rewrites a failed call's message the way boto words it, keeping the error
 * object (name = the AWS error code, $metadata) so callers can still test it.
 */
function botoStyleErrors(next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) {
  return async (args: unknown) => {
    try {
      return await next(args);
    } catch (error) {
      const e = error as Error & { $metadata?: unknown; __updraftWorded?: boolean };
      if (e && typeof e === 'object' && e.$metadata && !e.__updraftWorded) {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        e.message = `An error occurred (${e.name}) when calling the ${operation} operation: ${e.message || 'no message'}`;
        e.__updraftWorded = true;
      }
      throw error;
    }
  };
}

const cache = new Map<string, AwsClientLike>();

/** A client of `Client` for `service` configured from `config`; clients are reused within the process. */
export function createClient<C extends AwsClientLike>(
  Client: AwsClientClass<C>,
  service: AwsServiceName,
  config: AwsConnectionConfig,
  region_name: string | null = null,
): C {
  const region = regionFor(config, service, region_name);
  const endpoint = endpointFor(config, service);
  const key = JSON.stringify([Client.name, service, region, endpoint, config]);
  const cached = cache.get(key);
  if (cached) return cached as C;
  const credentials = credentialsFor(config, region);
  const client = new Client({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    // emulators and S3-compatible stores answer on one host, not bucket.host
    ...(service === 's3' && endpoint ? { forcePathStyle: true } : {}),
    ...(credentials ? { credentials } : {}),
    ...retryAndTimeouts(config),
  });
  client.middlewareStack.add(botoStyleErrors, { step: 'initialize', name: 'updraftBotoStyleErrors', priority: 'high' });
  cache.set(key, client);
  return client;
}

/** Closes every cached client's sockets (tests, and a task process before it exits). */
export function destroyClients(): void {
  for (const client of cache.values()) client.destroy();
  cache.clear();
}

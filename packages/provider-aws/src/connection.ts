/**
 * Airflow's `aws` connection type, read into the settings an AWS SDK v3 client
 * needs: region, endpoint (one for all services and per-service overrides in
 * extra.service_config), static credentials or the SDK's default chain, and a
 * role to assume. Field names are Airflow's so existing connections work:
 * login/password are the access key id and secret, extra holds region_name,
 * endpoint_url, aws_session_token, role_arn, assume_role_kwargs, service_config,
 * profile_name, config_kwargs.
 */
import { AirflowException, AirflowNotFoundException, Connection, getTaskRuntime, type TaskLogger } from '@updraft/sdk';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsConnectionConfig {
  /** the connection id it came from, or null for the SDK's defaults */
  conn_id: string | null;
  region_name: string | null;
  /** endpoint for every service unless service_config names another */
  endpoint_url: string | null;
  /** per-service settings: { s3: { endpoint_url }, emr: { endpoint_url } … } */
  service_config: Record<string, { endpoint_url?: string; region_name?: string }>;
  /** null: the SDK's default chain (environment, shared files, container/instance role) */
  credentials: AwsCredentials | null;
  role_arn: string | null;
  assume_role_kwargs: Record<string, unknown>;
  /** a profile of the shared credentials/config files (extra.profile_name) */
  profile_name: string | null;
  /** botocore Config settings (extra.config_kwargs): retries.max_attempts / mode, connect_timeout, read_timeout (seconds) */
  config_kwargs: { retries?: { max_attempts?: number; total_max_attempts?: number; mode?: string }; connect_timeout?: number; read_timeout?: number };
}

/** The connection-less configuration: the SDK's default chain and region, as MWAA's `aws://` gives. */
export function defaultAwsConfig(region_name: string | null = null): AwsConnectionConfig {
  return { conn_id: null, region_name, endpoint_url: null, service_config: {}, credentials: null, role_arn: null, assume_role_kwargs: {}, profile_name: null, config_kwargs: {} };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Reads an `aws` connection's fields; throws on settings of the wrong type so a typo is not silently ignored. */
export function awsConfigFromConnection(conn: Pick<Connection, 'conn_id' | 'login' | 'password' | 'extra_dejson'>): AwsConnectionConfig {
  const extra = conn.extra_dejson ?? {};
  const accessKeyId = text(conn.login) ?? text(extra.aws_access_key_id);
  const secretAccessKey = text(conn.password) ?? text(extra.aws_secret_access_key);
  if ((accessKeyId === null) !== (secretAccessKey === null)) {
    throw new AirflowException(`AWS connection '${conn.conn_id}' has ${accessKeyId ? 'an access key id but no secret' : 'a secret but no access key id'}: set both (login and password) or neither`);
  }
  const serviceConfig = extra.service_config ?? {};
  if (typeof serviceConfig !== 'object' || serviceConfig === null || Array.isArray(serviceConfig)) {
    throw new AirflowException(`AWS connection '${conn.conn_id}': extra.service_config must be an object such as {"s3": {"endpoint_url": "…"}}`);
  }
  const assumeRoleKwargs = extra.assume_role_kwargs ?? {};
  if (typeof assumeRoleKwargs !== 'object' || assumeRoleKwargs === null || Array.isArray(assumeRoleKwargs)) {
    throw new AirflowException(`AWS connection '${conn.conn_id}': extra.assume_role_kwargs must be an object`);
  }
  const sessionToken = text(extra.aws_session_token);
  return {
    conn_id: conn.conn_id,
    region_name: text(extra.region_name),
    // host_or_endpoint_url: Airflow took the endpoint from `host` in older versions
    endpoint_url: text(extra.endpoint_url) ?? text(extra.host),
    service_config: serviceConfig as AwsConnectionConfig['service_config'],
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : null,
    role_arn: text(extra.role_arn),
    assume_role_kwargs: assumeRoleKwargs as Record<string, unknown>,
    profile_name: text(extra.profile_name),
    config_kwargs: typeof extra.config_kwargs === 'object' && extra.config_kwargs !== null ? (extra.config_kwargs as AwsConnectionConfig['config_kwargs']) : {},
  };
}

/**
 * Outside a task (a trigger in the triggerer, a DAG file being parsed) the
 * Execution API cannot be asked; Airflow's environment-variables secrets
 * backend still answers there: UPDRAFT_CONN_<ID> or AIRFLOW_CONN_<ID>, in
 * JSON or URI form (`aws://KEY:SECRET@/?region_name=…&endpoint_url=…`).
 */
export function awsConfigFromEnv(connId: string, env: NodeJS.ProcessEnv = process.env): AwsConnectionConfig | null {
  const text = env[`UPDRAFT_CONN_${connId.toUpperCase()}`] ?? env[`AIRFLOW_CONN_${connId.toUpperCase()}`];
  if (text === undefined) return null;
  if (text.trimStart().startsWith('{')) {
    const json = JSON.parse(text) as { login?: string; password?: string; extra?: unknown };
    const extra = typeof json.extra === 'string' ? JSON.parse(json.extra) : (json.extra ?? {});
    return awsConfigFromConnection({ conn_id: connId, login: json.login ?? null, password: json.password ?? null, extra_dejson: extra as Record<string, unknown> });
  }
  let url: URL;
  try {
    // `aws://KEY:SECRET@/?…` (no host, as Airflow writes it) is not a WHATWG URL: give it a host we then ignore
    url = new URL(text.trim().replace(/^([A-Za-z][\w+.-]*:\/\/[^/?#]*@)(?=[/?#]|$)/, '$1unused-host'));
  } catch {
    throw new AirflowException(`The connection '${connId}' in the environment is neither JSON nor a URI`);
  }
  const params = Object.fromEntries(url.searchParams);
  const extra = '__extra__' in params ? (JSON.parse(params.__extra__) as Record<string, unknown>) : params;
  return awsConfigFromConnection({ conn_id: connId, login: decodeURIComponent(url.username) || null, password: decodeURIComponent(url.password) || null, extra_dejson: extra });
}

function runtimeLog(): TaskLogger | null {
  try {
    return getTaskRuntime().log;
  } catch {
    return null;
  }
}

/**
 * The settings of connection `connId`. A connection that is not defined (or
 * a null id) means the SDK's defaults, with a warning, as Airflow does. Code
 * running outside a task (a trigger, a DAG file being parsed) reads the
 * connection from the environment, else gets the defaults too.
 */
export async function resolveAwsConfig(connId: string | null, log: TaskLogger | null = runtimeLog()): Promise<AwsConnectionConfig> {
  if (connId === null || connId === '') return defaultAwsConfig();
  if (!log) return awsConfigFromEnv(connId) ?? defaultAwsConfig();
  let conn: Connection;
  try {
    conn = await Connection.get(connId);
  } catch (error) {
    if (error instanceof AirflowNotFoundException) {
      log.warning(`Unable to find AWS Connection ID '${connId}', switching to empty (the SDK's default credentials and region).`);
      return defaultAwsConfig();
    }
    throw error;
  }
  return awsConfigFromConnection(conn);
}

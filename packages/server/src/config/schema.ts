/**
 * Every configuration key Updraft reads, with its type and default. Section and
 * key names are Airflow's where the concept exists so that `AIRFLOW__CORE__…`
 * overrides (and MWAA configuration options) carry over unchanged.
 */
import path from 'node:path';

export type ConfigType = 'string' | 'int' | 'float' | 'bool' | 'path';

export interface ConfigKey {
  section: string;
  key: string;
  type: ConfigType;
  /** a literal default, or one computed from $UPDRAFT_HOME */
  default: string | ((home: string) => string);
  description: string;
  /** values allowed, for enumerations */
  choices?: string[];
  /** minimum for numbers */
  min?: number;
  secret?: boolean;
}

export const CONFIG_KEYS: ConfigKey[] = [
  { section: 'core', key: 'dags_folder', type: 'path', default: (home) => path.join(home, 'dags'), description: 'Folder the DAG processor scans for DAG files.' },
  { section: 'core', key: 'parallelism', type: 'int', min: 1, default: '32', description: 'Task instances running at once, per scheduler.' },
  { section: 'core', key: 'max_active_tasks_per_dag', type: 'int', min: 1, default: '16', description: 'Default max_active_tasks of a DAG.' },
  { section: 'core', key: 'max_active_runs_per_dag', type: 'int', min: 1, default: '16', description: 'Default max_active_runs of a DAG.' },
  { section: 'core', key: 'default_timezone', type: 'string', default: 'utc', description: 'Timezone of DAGs that set none.' },
  { section: 'core', key: 'dags_are_paused_at_creation', type: 'bool', default: 'true', description: 'New DAGs start paused unless they set is_paused_upon_creation.' },
  { section: 'core', key: 'load_examples', type: 'bool', default: 'true', description: 'Load the example DAGs shipped with Updraft.' },
  { section: 'core', key: 'dag_run_conf_overrides_params', type: 'bool', default: 'true', description: 'dag_run.conf values replace the DAG params of the same name.' },
  { section: 'core', key: 'dagbag_import_timeout', type: 'float', min: 0.1, default: '30', description: 'Seconds a DAG file may take to import before it is recorded as an import error.' },
  { section: 'core', key: 'default_task_retries', type: 'int', min: 0, default: '0', description: 'Retries of a task that sets none.' },
  { section: 'core', key: 'default_pool_task_slot_count', type: 'int', min: 0, default: '128', description: 'Slots of default_pool when it is created.' },
  { section: 'core', key: 'executor', type: 'string', default: 'LocalExecutor', choices: ['LocalExecutor'], description: 'Executor that runs task instances.' },
  { section: 'core', key: 'killed_task_cleanup_time', type: 'float', min: 0, default: '10', description: 'Seconds between SIGTERM and SIGKILL when a task is stopped.' },
  { section: 'core', key: 'fernet_key', type: 'string', default: '', secret: true, description: 'Base64 32-byte key(s) that encrypt Variable values and connection passwords and extras (AES-256-GCM). Comma-separated to rotate: new values use the first, any listed key decrypts. Generated into updraft.cfg on first start when empty.' },
  { section: 'core', key: 'sensitive_var_conn_names', type: 'string', default: '', description: 'Comma-separated names, besides password, secret, token, api_key…, whose Variable values and connection extra fields are shown as ***.' },
  { section: 'core', key: 'test_connection', type: 'string', default: 'Disabled', choices: ['Disabled', 'Enabled', 'Hidden'], description: 'Allow POST /api/v2/connections/test, which makes the api-server connect to the given host (disabled by default, as in Airflow).' },
  { section: 'core', key: 'max_xcom_size', type: 'int', min: 1, default: '1048576', description: 'Largest XCom value, in bytes of JSON, a task may push; larger pushes fail the push with the task and key named.' },
  { section: 'core', key: 'xcom_objectstorage_threshold', type: 'int', min: -1, default: '-1', description: 'XCom values larger than this many bytes of JSON are stored in xcom_objectstorage_path with only a reference in the database; -1 never offloads.' },
  { section: 'core', key: 'xcom_objectstorage_path', type: 'string', default: (home) => path.join(home, 'xcom'), description: 'Where offloaded XCom values go: a local folder, or s3://bucket/prefix.' },
  { section: 'core', key: 'xcom_objectstorage_endpoint_url', type: 'string', default: '', description: 'S3 endpoint URL for an S3-compatible store or emulator; empty uses AWS.' },
  { section: 'database', key: 'sql_alchemy_conn', type: 'string', default: '', secret: true, description: 'postgresql:// URL of an external database; empty starts the embedded PostgreSQL under $UPDRAFT_HOME.' },
  { section: 'database', key: 'max_connections', type: 'int', min: 2, default: '10', description: 'Connections each Updraft process keeps in its pool.' },
  { section: 'api', key: 'host', type: 'string', default: '127.0.0.1', description: 'Address the api-server listens on.' },
  { section: 'api', key: 'port', type: 'int', min: 0, default: '8080', description: 'Port the api-server listens on.' },
  { section: 'api', key: 'base_url', type: 'string', default: '', description: 'URL task processes and clients use to reach the api-server; defaults to http://host:port.' },
  { section: 'api', key: 'expose_config', type: 'bool', default: 'false', description: 'Serve the configuration through the REST API.' },
  { section: 'api', key: 'access_control_allow_origins', type: 'string', default: '', description: 'Space- or comma-separated origins (or *) allowed to call the REST API from a browser on another site (CORS); empty: CORS off.' },
  { section: 'api', key: 'max_body_size', type: 'int', min: 1024, default: '5242880', description: 'Largest request body, in bytes, the REST API accepts (413 beyond it).' },
  { section: 'webserver', key: 'default_ui_timezone', type: 'string', default: 'UTC', description: 'Time zone the web UI shows times in until a user picks another: UTC, system (the browser\'s zone) or an IANA name such as America/New_York.' },
  { section: 'api_auth', key: 'jwt_secret', type: 'string', default: '', secret: true, description: 'Secret that signs API tokens; generated under $UPDRAFT_HOME when empty.' },
  { section: 'api_auth', key: 'jwt_expiration_time', type: 'int', min: 1, default: '86400', description: 'Seconds an API token stays valid.' },
  { section: 'api_auth', key: 'jwt_cli_expiration_time', type: 'int', min: 1, default: '2592000', description: 'Seconds a token from POST /auth/token/cli (scripts, `updraft auth login`) stays valid.' },
  { section: 'api_auth', key: 'login_max_failures', type: 'int', min: 1, default: '5', description: 'Failed logins of one user name (or from one address) within login_lockout_seconds after which further attempts are refused with 429.' },
  { section: 'api_auth', key: 'login_lockout_seconds', type: 'int', min: 1, default: '300', description: 'Window, in seconds, in which failed logins are counted.' },
  { section: 'logging', key: 'base_log_folder', type: 'path', default: (home) => path.join(home, 'logs'), description: 'Folder of task logs (one file per try).' },
  { section: 'logging', key: 'logging_level', type: 'string', default: 'INFO', choices: ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'], description: 'Level of component logs.' },
  { section: 'scheduler', key: 'scheduler_heartbeat_sec', type: 'float', min: 0.05, default: '5', description: 'Seconds between scheduler loops when nothing wakes it earlier.' },
  { section: 'scheduler', key: 'task_instance_heartbeat_sec', type: 'float', min: 0.1, default: '5', description: 'Seconds between heartbeats of a running task.' },
  { section: 'scheduler', key: 'task_instance_heartbeat_timeout', type: 'float', min: 1, default: '300', description: 'Seconds without a heartbeat after which a running task is failed (or retried).' },
  { section: 'scheduler', key: 'task_queued_timeout', type: 'float', min: 1, default: '600', description: 'Seconds a task may stay queued before it is scheduled again.' },
  { section: 'scheduler', key: 'catchup_by_default', type: 'bool', default: 'false', description: 'catchup of DAGs that set none.' },
  { section: 'scheduler', key: 'standalone_warm_processes', type: 'int', min: 0, default: '10', description: 'Task processes kept started and idle while tasks are flowing (one when idle for 30 s), so a task starts without waiting for Node to boot. They are started when tries stop arriving for a moment; each holds ~15 MB of its own.' },
  { section: 'triggerer', key: 'capacity', type: 'int', min: 1, default: '1000', description: 'Triggers of deferred tasks one triggerer runs at once.' },
  { section: 'triggerer', key: 'job_heartbeat_sec', type: 'float', min: 0.05, default: '1', description: 'Seconds between triggerer passes (heartbeat, deferral timeouts, new triggers when no notification came).' },
  { section: 'dag_processor', key: 'refresh_interval', type: 'float', min: 1, default: '300', description: 'Seconds between full rescans of the DAG folder (file watching sees changes at once).' },
  { section: 'dag_processor', key: 'parsing_processes', type: 'int', min: 1, default: '2', description: 'DAG files parsed at once.' },
  { section: 'dag_processor', key: 'parser_idle_timeout', type: 'float', min: 0, default: '30', description: 'Seconds without a file to parse after which the parsing processes are stopped (they are started again when a file changes); 0: keep them running.' },
  { section: 'dag_processor', key: 'min_file_process_interval', type: 'float', min: 0, default: '30', description: 'Seconds before an unchanged file is parsed again on a rescan.' },
  { section: 'dag_processor', key: 'dag_file_processor_timeout', type: 'float', min: 1, default: '50', description: 'Seconds a DAG callback (on_success_callback / on_failure_callback of a DAG) may run, DAG file import included, before its process is killed.' },
  { section: 'smtp', key: 'smtp_host', type: 'string', default: 'localhost', description: 'SMTP server that task alerts (email_on_failure, email_on_retry), send_email and EmailOperator use.' },
  { section: 'smtp', key: 'smtp_port', type: 'int', min: 1, default: '25', description: 'Port of the SMTP server.' },
  { section: 'smtp', key: 'smtp_starttls', type: 'bool', default: 'true', description: 'Upgrade the connection with STARTTLS (and refuse a server that does not offer it).' },
  { section: 'smtp', key: 'smtp_ssl', type: 'bool', default: 'false', description: 'Connect with TLS from the start (SMTPS, usually port 465).' },
  { section: 'smtp', key: 'smtp_user', type: 'string', default: '', description: 'User to log in to the SMTP server as; empty: no login.' },
  { section: 'smtp', key: 'smtp_password', type: 'string', default: '', secret: true, description: 'Password of smtp_user.' },
  { section: 'smtp', key: 'smtp_mail_from', type: 'string', default: 'updraft@example.com', description: 'From address of the messages Updraft sends.' },
  { section: 'smtp', key: 'smtp_timeout', type: 'float', min: 1, default: '30', description: 'Seconds to wait for the SMTP server (connection, greeting, each reply).' },
  { section: 'smtp', key: 'smtp_retry_limit', type: 'int', min: 0, default: '5', description: 'Extra attempts at sending a message when the connection to the SMTP server fails.' },
];

export function findKey(section: string, key: string): ConfigKey | undefined {
  return CONFIG_KEYS.find((k) => k.section === section && k.key === key);
}

/** Airflow Connections, fetched through the task runtime. */
import { AirflowNotFoundException } from './exceptions.ts';
import { getTaskRuntime, type ConnectionInfo } from './runtime.ts';

export class Connection implements ConnectionInfo {
  conn_id: string;
  conn_type: string;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: string | null;
  extra_dejson: Record<string, unknown>;

  constructor(info: ConnectionInfo) {
    this.conn_id = info.conn_id;
    this.conn_type = info.conn_type;
    this.host = info.host;
    this.schema = info.schema;
    this.login = info.login;
    this.password = info.password;
    this.port = info.port;
    this.extra = info.extra;
    this.extra_dejson = info.extra_dejson;
  }

  /** Throws AirflowNotFoundException with Airflow's message when it does not exist. */
  static async get(connId: string): Promise<Connection> {
    const info = await getTaskRuntime().getConnection(connId);
    if (!info) throw new AirflowNotFoundException(`The conn_id \`${connId}\` isn't defined`);
    return new Connection(info);
  }

  toString(): string {
    return this.conn_id;
  }
}

/** Base class for hooks; only the connection lookup matters to task code. */
export class BaseHook {
  static getConnection(connId: string): Promise<Connection> {
    return Connection.get(connId);
  }
}

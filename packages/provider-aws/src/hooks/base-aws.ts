/**
 * AwsBaseHook: what every AWS hook shares — the connection id, an optional
 * region, and a lazily created client of one service.
 */
import { type AwsConnectionConfig, resolveAwsConfig } from '../connection.ts';
import { type AwsClientClass, type AwsClientLike, type AwsServiceName, createClient } from '../client-factory.ts';

export interface AwsHookOptions {
  aws_conn_id?: string | null;
  region_name?: string | null;
}

export class AwsBaseHook<C extends AwsClientLike> {
  readonly aws_conn_id: string | null;
  readonly region_name: string | null;
  readonly client_type: AwsServiceName;
  readonly #Client: AwsClientClass<C>;
  #client: Promise<C> | null = null;

  constructor(Client: AwsClientClass<C>, client_type: AwsServiceName, options: AwsHookOptions = {}) {
    this.#Client = Client;
    this.client_type = client_type;
    this.aws_conn_id = options.aws_conn_id === undefined ? 'aws_default' : options.aws_conn_id;
    this.region_name = options.region_name ?? null;
  }

  /** The connection's settings (the SDK's defaults when it is not defined). */
  get_config(): Promise<AwsConnectionConfig> {
    return resolveAwsConfig(this.aws_conn_id);
  }

  /** The service client (Airflow's get_conn / conn). */
  get_conn(): Promise<C> {
    this.#client ??= this.get_config().then((config) => createClient(this.#Client, this.client_type, config, this.region_name));
    return this.#client;
  }
}

/**
 * HttpSensor: polls an endpoint of an `http` connection until the response
 * is OK (and response_check, when given, says done). A 404 means "not yet",
 * other errors fail the task unless response_error_codes_allowlist lists them.
 */
import type { Context } from '../context.ts';
import { getTaskRuntime } from '../runtime.ts';
import { BaseSensorOperator, type BaseSensorOptions, type PokeResult } from './base.ts';

export interface HttpSensorOptions extends BaseSensorOptions {
  endpoint: string;
  http_conn_id?: string;
  method?: string;
  request_params?: Record<string, string> | null;
  headers?: Record<string, string> | null;
  /** the response (with its text read) → true when done */
  response_check?: ((response: Response, text: string, context: Context) => PokeResult | Promise<PokeResult>) | null;
  response_error_codes_allowlist?: number[];
}

export class HttpSensor extends BaseSensorOperator {
  static override template_fields = ['endpoint', 'request_params', 'headers'];
  endpoint: string;
  http_conn_id: string;
  method: string;
  request_params: Record<string, string>;
  headers: Record<string, string>;
  response_check: HttpSensorOptions['response_check'];
  response_error_codes_allowlist: number[];

  constructor(options: HttpSensorOptions) {
    super(options);
    this.endpoint = options.endpoint;
    this.http_conn_id = options.http_conn_id ?? 'http_default';
    this.method = (options.method ?? 'GET').toUpperCase();
    this.request_params = options.request_params ?? {};
    this.headers = options.headers ?? {};
    this.response_check = options.response_check ?? null;
    this.response_error_codes_allowlist = options.response_error_codes_allowlist ?? [404];
  }

  async url(): Promise<URL> {
    if (/^https?:\/\//.test(this.endpoint)) return new URL(this.endpoint);
    const conn = await getTaskRuntime().getConnection(this.http_conn_id);
    if (!conn?.host) throw new Error(`connection '${this.http_conn_id}' has no host to call ${this.endpoint} on`);
    const scheme = conn.schema || (conn.conn_type === 'https' ? 'https' : 'http');
    const host = /^https?:\/\//.test(conn.host) ? conn.host : `${scheme}://${conn.host}`;
    const base = new URL(host);
    if (conn.port) base.port = String(conn.port);
    return new URL(this.endpoint.replace(/^\//, ''), base.href.endsWith('/') ? base.href : `${base.href}/`);
  }

  async poke(context: Context): Promise<PokeResult> {
    const url = await this.url();
    for (const [k, v] of Object.entries(this.request_params)) url.searchParams.set(k, v);
    context.ti.log.info(`Poking: ${this.method} ${url.href}`);
    const response = await fetch(url, { method: this.method, headers: this.headers, signal: context.signal });
    const text = await response.text();
    if (!response.ok) {
      if (this.response_error_codes_allowlist.includes(response.status)) return false;
      throw new Error(`HTTP ${response.status} ${response.statusText} from ${url.href}: ${text.slice(0, 500)}`);
    }
    return this.response_check ? this.response_check(response, text, context) : true;
  }

  override serializeFields(): Record<string, unknown> {
    return { ...super.serializeFields(), endpoint: this.endpoint, http_conn_id: this.http_conn_id, method: this.method };
  }
}

/**
 * Shared shape of the provider's triggers: poll the service with await every
 * `poke_interval` seconds until check() says done, then yield one event:
 * {status: 'success', ...} or {status: 'error', message} (the convention the
 * operators' execute_complete reads). Triggers are rebuilt in the triggerer
 * from `['@updraft/provider-aws#<ExportName>', kwargs]`, so kwargs hold only
 * JSON and the connection id, never credentials.
 */
import { BaseTrigger, type TriggerEvent } from '@updraft/sdk';
import { sleep } from '../aws-options.ts';

export const PROVIDER_MODULE = '@updraft/provider-aws';

export interface AwsTriggerKwargs {
  aws_conn_id?: string | null;
  region_name?: string | null;
  /** seconds between checks */
  poke_interval?: number;
  /** give up (status error) after this many checks; null: never */
  max_attempts?: number | null;
}

export type CheckResult = { done: false } | { done: true; payload: Record<string, unknown> };

export abstract class AwsPollingTrigger<K extends AwsTriggerKwargs> extends BaseTrigger {
  readonly kwargs: K;
  #stopped = false;

  constructor(kwargs: K) {
    super();
    this.kwargs = kwargs;
  }

  /** The export name of the subclass in the package index (the classpath's part after '#'). */
  protected abstract get exportName(): string;

  /** One look at the service. Throwing ends the trigger with status error. */
  protected abstract check(): Promise<CheckResult>;

  serialize(): [string, Record<string, unknown>] {
    return [`${PROVIDER_MODULE}#${this.exportName}`, { ...this.kwargs } as Record<string, unknown>];
  }

  async *run(): AsyncIterable<TriggerEvent> {
    const interval = this.kwargs.poke_interval ?? 30;
    const max = this.kwargs.max_attempts ?? null;
    for (let attempt = 1; !this.#stopped; attempt++) {
      let result: CheckResult;
      try {
        result = await this.check();
      } catch (error) {
        yield { payload: { status: 'error', message: (error as Error).message } };
        return;
      }
      if (result.done) {
        yield { payload: { status: 'success', ...result.payload } };
        return;
      }
      if (max !== null && attempt >= max) {
        yield { payload: { status: 'error', message: `${this.exportName}: not done after ${attempt} attempts` } };
        return;
      }
      await sleep(interval);
    }
  }

  override async cleanup(): Promise<void> {
    this.#stopped = true;
  }
}

/**
 * Deferral: a task hands a trigger to the triggerer and gives up its worker
 * slot; when the trigger yields an event, the task resumes in a new process at
 * `method_name(context, event)`. Airflow's BaseTrigger/TaskDeferred, in
 * TypeScript.
 *
 * A trigger must be rebuildable in another process, so it serializes to a
 * classpath and JSON kwargs. The classpath is `<module>#<export>`: a package
 * export ("@updraft/sdk/triggers#TimeDeltaTrigger") or an absolute file path.
 * The triggerer imports the module and calls `new Export(kwargs)`.
 */
import type { Duration } from '../duration.ts';

export interface TriggerEvent {
  payload: unknown;
}

export abstract class BaseTrigger {
  /** [classpath, kwargs]: `new (import(classpath))(kwargs)` must rebuild an equal trigger */
  abstract serialize(): [string, Record<string, unknown>];

  /**
   * Waits for the condition and yields one event (only the first one is used).
   * Runs in the triggerer next to many others: await, never block the thread.
   */
  abstract run(): AsyncIterable<TriggerEvent>;

  /** Called when the trigger is no longer needed (task cleared, timed out). */
  async cleanup(): Promise<void> {}
}

export interface DeferOptions {
  trigger: BaseTrigger;
  /** the operator method called on resume with (context, event payload, kwargs) */
  method_name: string;
  kwargs?: Record<string, unknown> | null;
  /** fail the task when the trigger has not fired by then */
  timeout?: Duration | null;
}

/** Thrown by BaseOperator.defer(); the task runner turns it into state "deferred". */
export class TaskDeferred extends Error {
  readonly trigger: BaseTrigger;
  readonly method_name: string;
  readonly kwargs: Record<string, unknown> | null;
  readonly timeout: Duration | null;

  constructor(options: DeferOptions) {
    super(`deferred to ${options.trigger.serialize()[0]}`);
    this.name = 'TaskDeferred';
    this.trigger = options.trigger;
    this.method_name = options.method_name;
    this.kwargs = options.kwargs ?? null;
    this.timeout = options.timeout ?? null;
  }
}

/** An event payload that says the condition failed makes the resumed task fail (Airflow providers' convention). */
export function isFailurePayload(payload: unknown): payload is { status: 'error' | 'failed' | 'timeout'; message?: string } {
  if (typeof payload !== 'object' || payload === null) return false;
  const status = (payload as { status?: unknown }).status;
  return status === 'error' || status === 'failed' || status === 'timeout';
}

/**
 * ShortCircuitOperator: runs python_callable; a falsy result (Python's
 * truthiness: false, 0, '', null, [], {}) skips downstream. With
 * ignore_downstream_trigger_rules (the default) every downstream task is
 * skipped whatever its trigger rule; without it only the direct downstream
 * ones, and trigger rules decide the rest.
 */
import type { Context } from '../context.ts';
import { flatDownstreamIds, skipTasks } from '../skip.ts';
import { FunctionOperator, type FunctionOperatorOptions } from './function.ts';

export interface ShortCircuitOperatorOptions extends FunctionOperatorOptions {
  ignore_downstream_trigger_rules?: boolean;
}

/** Python's bool(): empty containers are false too. */
export function pythonTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.keys(value).length > 0;
  return Boolean(value);
}

export class ShortCircuitOperator extends FunctionOperator {
  ignore_downstream_trigger_rules: boolean;

  constructor(options: ShortCircuitOperatorOptions) {
    super(options);
    this.ignore_downstream_trigger_rules = options.ignore_downstream_trigger_rules ?? true;
  }

  override async execute(context: Context): Promise<unknown> {
    const condition = await super.execute(context);
    context.log.info(`Condition result is ${JSON.stringify(condition) ?? 'None'}`);
    if (pythonTruthy(condition)) {
      context.log.info('Proceeding with downstream tasks...');
      return condition;
    }
    const toSkip = this.ignore_downstream_trigger_rules ? flatDownstreamIds(this) : new Set(this.downstream_task_ids);
    if (toSkip.size > 0) {
      context.log.info(`Skipping downstream tasks: ${[...toSkip].sort().join(', ')}`);
      await skipTasks(toSkip);
    }
    return condition;
  }
}

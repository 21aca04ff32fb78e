/**
 * `task.sensor(fn)`: Airflow's @task.sensor. The function is the poke: it
 * returns true/false or a PokeReturnValue (whose xcom_value becomes the
 * return_value when done). XComArg arguments become upstream dependencies.
 */
import { withDefaultArgs } from '../baseoperator.ts';
import { withCurrentContext, type Context } from '../context.ts';
import { findXComArgs, resolveXComArgs } from '../xcomarg.ts';
import { BaseSensorOperator, type BaseSensorOptions, type PokeResult } from './base.ts';

export interface DecoratedSensorOptions extends BaseSensorOptions {
  python_callable: (...args: any[]) => PokeResult | Promise<PokeResult>;
  op_args?: unknown[];
}

export class _DecoratedSensorOperator extends BaseSensorOperator {
  static override template_fields = ['op_args'];
  python_callable: DecoratedSensorOptions['python_callable'];
  op_args: unknown[];

  constructor(options: DecoratedSensorOptions) {
    const args = withDefaultArgs(options);
    if (typeof args.python_callable !== 'function') throw new TypeError(`task '${args.task_id}': python_callable must be a function`);
    super(args);
    this.python_callable = args.python_callable;
    this.op_args = args.op_args ?? [];
    for (const xcomArg of findXComArgs([this.op_args])) this.setUpstream(xcomArg);
  }

  async poke(context: Context): Promise<PokeResult> {
    const args = (await resolveXComArgs(this.op_args)) as unknown[];
    return withCurrentContext(context, () => this.python_callable(...args));
  }
}

/**
 * FunctionOperator (exported as PythonOperator too): runs a TypeScript
 * function. Like Airflow's PythonOperator it passes op_args positionally and
 * the context merged with op_kwargs as the last argument.
 */
import { BaseOperator, withDefaultArgs, type BaseOperatorOptions } from '../baseoperator.ts';
import { withCurrentContext, type Context } from '../context.ts';
import { findXComArgs, resolveXComArgs } from '../xcomarg.ts';

export interface FunctionOperatorOptions extends BaseOperatorOptions {
  python_callable: (...args: any[]) => unknown;
  op_args?: unknown[];
  op_kwargs?: Record<string, unknown>;
  /** rendered by the runner like other template fields, then put in context.templates_dict */
  templates_dict?: Record<string, unknown> | null;
  /** replaces template_ext, so values of templates_dict ending in these load files */
  templates_exts?: string[] | null;
  show_return_value_in_logs?: boolean;
}

export class FunctionOperator extends BaseOperator {
  static template_fields: string[] = ['templates_dict', 'op_args', 'op_kwargs'];
  static template_ext: string[] = [];

  python_callable: (...args: any[]) => unknown;
  op_args: unknown[];
  op_kwargs: Record<string, unknown>;
  templates_dict: Record<string, unknown> | null;
  show_return_value_in_logs: boolean;

  constructor(options: FunctionOperatorOptions) {
    const args = withDefaultArgs(options);
    // Checked before super() so a broken task never gets attached to the DAG.
    if (typeof args.python_callable !== 'function') {
      throw new TypeError(`task '${args.task_id}': python_callable must be a function`);
    }
    super(args);
    this.python_callable = args.python_callable;
    this.op_args = args.op_args ?? [];
    this.op_kwargs = args.op_kwargs ?? {};
    this.templates_dict = args.templates_dict ?? null;
    this.show_return_value_in_logs = args.show_return_value_in_logs ?? true;
    if (args.templates_exts) this.template_ext = [...args.templates_exts];
    // XComArgs among the arguments make their producers upstream tasks.
    for (const xcomArg of findXComArgs([this.op_args, this.op_kwargs, this.templates_dict])) {
      this.setUpstream(xcomArg);
    }
  }

  async execute(context: Context): Promise<unknown> {
    const [opArgs, opKwargs, templatesDict] = await Promise.all([
      resolveXComArgs(this.op_args),
      resolveXComArgs(this.op_kwargs),
      resolveXComArgs(this.templates_dict),
    ]);
    const taskContext: Context = templatesDict ? { ...context, templates_dict: templatesDict } : context;
    // The current context is set for the call so helpers using
    // getCurrentContext() work even if the runner did not set it.
    const result = await withCurrentContext(taskContext, () => this.callCallable(opArgs, opKwargs, taskContext));
    if (this.show_return_value_in_logs) {
      context.log.info(`Done. Returned value was: ${describe(result)}`);
    } else {
      context.log.info('Done. Returned value not shown');
    }
    return result;
  }

  /** How the function is invoked; TaskFlow overrides it (no context argument). */
  protected callCallable(opArgs: unknown[], opKwargs: Record<string, unknown>, context: Context): unknown {
    return this.python_callable(...opArgs, { ...context, ...opKwargs });
  }

  override serializeFields(): Record<string, unknown> {
    return {
      python_callable: this.python_callable.name || '<anonymous>',
      op_args: this.op_args,
      op_kwargs: this.op_kwargs,
      templates_dict: this.templates_dict,
    };
  }
}

/** The Airflow name; a subclass (not a plain alias) so the UI shows what the author wrote. */
export class PythonOperator extends FunctionOperator {}

function describe(value: unknown): string {
  if (value === undefined) return 'None';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * What happens around execute() that belongs to the task's definition rather
 * than to the server: making the context current and pushing the XComs the
 * operator's options ask for (return_value, and each key for multiple_outputs).
 * The task runner calls runOperator() after rendering templates.
 */
import type { BaseOperator } from './baseoperator.ts';
import { withCurrentContext, type Context } from './context.ts';
import { AirflowException } from './exceptions.ts';
import { getTaskRuntime } from './runtime.ts';
import { XCOM_RETURN_KEY } from './xcomarg.ts';

export async function runOperator(task: BaseOperator, context: Context): Promise<unknown> {
  const result = await withCurrentContext(context, () => task.execute(context));
  // Airflow pushes nothing for None; undefined is JS's None here.
  if (!task.do_xcom_push || result === undefined || result === null) return result;

  const runtime = getTaskRuntime();
  if (task.multiple_outputs) {
    if (typeof result !== 'object' || Array.isArray(result)) {
      throw new AirflowException(
        `Returned output was type ${Array.isArray(result) ? 'array' : typeof result} expected object for multiple_outputs`,
      );
    }
    for (const [key, value] of Object.entries(result)) await runtime.xcomPush(key, value);
  }
  await runtime.xcomPush(XCOM_RETURN_KEY, result);
  return result;
}

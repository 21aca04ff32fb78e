/**
 * The context templates render with: the task's context, with the parts
 * that need the api-server made synchronous over prefetched data (nunjucks
 * cannot await): var, conn, ti.xcom_pull; ti.xcom_push is collected and
 * pushed once the render succeeded.
 */
import type { Context } from '@updraft/sdk';
import { splitKeywords } from './template-args.ts';
import { macros } from './macros.ts';
import { connectionAccessor, variableAccessors, type TemplateData } from './template-data.ts';
import { selectXCom, xcomQueryFromArgs, xcomSource, type PullingTask } from './xcom-select.ts';

export function templateContext(context: Context, data: TemplateData, self: PullingTask, push: (key: string, value: unknown) => void): Record<string, unknown> {
  const xcom_pull = (...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    const query = xcomQueryFromArgs(positional, keywords);
    return selectXCom(data.xcomEntries(xcomSource(query, self)), query, self.task_id);
  };
  const xcom_push = (...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    push(String(keywords.key ?? positional[0]), keywords.value ?? positional[1] ?? null);
    return '';
  };
  const ti = { ...context.ti, xcom_pull, xcom_push };
  return {
    ...context,
    ti,
    task_instance: ti,
    var: variableAccessors(data),
    conn: connectionAccessor(data),
    macros,
  };
}

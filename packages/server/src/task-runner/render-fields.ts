/**
 * Renders a task's template_fields before execute(), as Airflow does: every
 * string inside each field (and each template file a field names), with the
 * DAG's render_template_as_native_obj. Data the templates read is fetched
 * first; a render that asked for data not fetched yet is repeated after
 * fetching it. A field that cannot be rendered fails the task with the task,
 * the field and the template named.
 */
import type { BaseOperator, Context, DAG } from '@updraft/sdk';
import type { TaskLookups } from './lookups.ts';
import { pyRepr } from './py-values.ts';
import { templateContext } from './template-context.ts';
import { referencedNames, TemplateData } from './template-data.ts';
import { makeEnvironment, renderValue, searchPaths, stringsIn, templateErrorMessage } from './templating.ts';
import type { PullingTask } from './xcom-select.ts';

/** Enough for names computed from other lookups a few levels deep; stops a template that asks forever. */
const MAX_PASSES = 8;

export interface RenderRequest {
  task: BaseOperator;
  dag: DAG;
  context: Context;
  self: PullingTask;
  dagFile: string;
  lookups: TaskLookups;
}

export class TemplateRenderError extends Error {}

function templateLists(task: BaseOperator) {
  // per-task lists first: an operator may change them (PythonOperator's templates_exts)
  const ctor = task.constructor as unknown as { template_fields?: string[]; template_ext?: string[] };
  return { fields: task.template_fields ?? ctor.template_fields ?? [], templateExt: task.template_ext ?? ctor.template_ext ?? [] };
}

/** Renders the fields in place on the task and returns their rendered values. */
export async function renderTemplateFields(req: RenderRequest, data = new TemplateData()): Promise<Record<string, unknown>> {
  const { task, dag, context, self } = req;
  const { fields, templateExt } = templateLists(task);
  const record = task as unknown as Record<string, unknown>;
  const native = dag.render_template_as_native_obj === true;
  const strings = fields.flatMap((f) => stringsIn(record[f]));
  const templated = (s: string) => /\{\{|\{%|\{#/.test(s) || templateExt.some((ext) => s.endsWith(ext));
  // native rendering turns even plain text into values ("5" → 5), as Airflow's NativeEnvironment does
  if (!native && !strings.some(templated)) return Object.fromEntries(fields.map((f) => [f, record[f] ?? null]));

  data.want({ ...referencedNames(strings), xcoms: strings.some((s) => s.includes('xcom_pull')) ? [{ kind: 'run', dag_id: self.dag_id, run_id: self.run_id }] : [] });
  const env = makeEnvironment(searchPaths(req.dagFile, dag.template_searchpath ?? []));
  for (let pass = 1; ; pass++) {
    if (data.wantsMore) await data.fetchWanted(req.lookups);
    const pushes: [string, unknown][] = [];
    const ctx = templateContext(context, data, self, (key, value) => pushes.push([key, value]));
    const rendered: Record<string, unknown> = {};
    let failure: { field: string; error: unknown } | null = null;
    for (const field of fields) {
      try {
        rendered[field] = renderValue(env, record[field], ctx, { templateExt, native });
      } catch (error) {
        failure ??= { field, error };
      }
    }
    if (failure && data.wantsMore && pass < MAX_PASSES) continue;
    if (failure) {
      const reason = templateErrorMessage(failure.error).replace(/[.\s]*$/, '');
      throw new TemplateRenderError(
        `Could not render template field '${failure.field}' of task '${self.task_id}': ${reason}. Template: ${pyRepr(record[failure.field])}`,
        { cause: failure.error },
      );
    }
    for (const field of fields) record[field] = rendered[field];
    for (const [key, value] of pushes) await context.ti.xcom_push(key, value);
    return rendered;
  }
}

/**
 * Everything that can be wrong with a DAG, collected as short sentences.
 * Some problems are recorded while the DAG is built (duplicate task_id, bad
 * schedule …); the rest are checked here, on the final state of the objects,
 * because Airflow authors often set attributes after construction.
 */
import { normalizeAccessControl } from './access-control.ts';
import type { BaseOperator } from './baseoperator.ts';
import type { DAG } from './dag.ts';
import { collectDags } from './dag-context.ts';
import { durationToSeconds, type Duration } from './duration.ts';
import { findCycle } from './graph.ts';
import { idProblem } from './ids.ts';
import { TRIGGER_RULES, WEIGHT_RULES, isTriggerRule } from './trigger-rules.ts';

export function dagProblems(dag: DAG): string[] {
  const problems = [...dag.recordedProblems];
  const add = (problem: string | null) => {
    if (problem && !problems.includes(problem)) problems.push(problem);
  };

  const twins = collectDags().filter((other) => other !== dag && other.dag_id === dag.dag_id);
  if (twins.length > 0) add(`dag_id '${dag.dag_id}' is defined ${twins.length + 1} times in the same file`);

  add(optionalPositiveInt('max_active_runs', dag.max_active_runs));
  add(optionalPositiveInt('max_active_tasks', dag.max_active_tasks));
  add(durationProblem('dagrun_timeout', dag.dagrun_timeout));
  if (!Array.isArray(dag.tags) || dag.tags.some((tag) => typeof tag !== 'string')) add('tags must be a list of strings');
  for (const problem of normalizeAccessControl(dag.access_control).problems) add(problem);

  const requiredParams: string[] = [];
  for (const [name, param] of Object.entries(dag.params)) {
    if (!param.hasValue) {
      requiredParams.push(name);
      continue;
    }
    const issue = param.validate();
    if (issue) add(`invalid default for param '${name}': ${issue}`);
  }
  if (requiredParams.length > 0 && dag.schedule.kind !== 'none') {
    add(`params without a default value (${requiredParams.join(', ')}) need schedule null, since scheduled runs cannot supply them`);
  }

  for (const task of dag.tasks) {
    for (const problem of taskProblems(task)) add(`task '${task.task_id}': ${problem}`);
    for (const upstream of task.upstream_task_ids) {
      if (!dag.hasTask(upstream)) add(`task '${task.task_id}' depends on '${upstream}', which is not in this DAG`);
    }
  }

  const graph = new Map(dag.tasks.map((task) => [task.task_id, task.downstream_task_ids] as const));
  const cycle = findCycle(graph);
  if (cycle) add(`cycle detected: ${cycle.join(' -> ')}`);
  return problems;
}

function taskProblems(task: BaseOperator): string[] {
  const problems: (string | null)[] = [];
  if (!isTriggerRule(task.trigger_rule)) {
    problems.push(`unknown trigger_rule '${String(task.trigger_rule)}' (expected one of ${TRIGGER_RULES.join(', ')})`);
  }
  if (!WEIGHT_RULES.includes(task.weight_rule)) {
    problems.push(`unknown weight_rule '${String(task.weight_rule)}' (expected one of ${WEIGHT_RULES.join(', ')})`);
  }
  if (!Number.isInteger(task.retries) || task.retries < 0) problems.push(`retries must be a non-negative integer, got ${task.retries}`);
  if (!Number.isInteger(task.pool_slots) || task.pool_slots < 1) problems.push(`pool_slots must be an integer >= 1, got ${task.pool_slots}`);
  if (!Number.isInteger(task.priority_weight)) problems.push(`priority_weight must be an integer, got ${task.priority_weight}`);
  problems.push(durationProblem('retry_delay', task.retry_delay));
  problems.push(durationProblem('max_retry_delay', task.max_retry_delay));
  problems.push(durationProblem('execution_timeout', task.execution_timeout));
  const email = task.email;
  if (email !== null && typeof email !== 'string' && !(Array.isArray(email) && email.every((e) => typeof e === 'string'))) {
    problems.push('email must be a string or a list of strings');
  }
  // Tasks only get a DAG-checked id when added to a DAG; check again in case it was renamed.
  problems.push(idProblem('task_id', task.task_id));
  return problems.filter((problem): problem is string => problem !== null);
}

function durationProblem(name: string, value: Duration | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  try {
    durationToSeconds(value);
    return null;
  } catch (error) {
    return `invalid ${name}: ${(error as Error).message}`;
  }
}

function optionalPositiveInt(name: string, value: number | null): string | null {
  if (value === null) return null;
  return Number.isInteger(value) && value > 0 ? null : `${name} must be a positive integer or null, got ${value}`;
}

/**
 * Process-wide DAG bookkeeping: the stack of DAGs whose build callback is
 * running (so operators attach to the enclosing DAG, like Airflow's
 * `with DAG(...)`), and the registry of every DAG constructed, which the DAG
 * processor reads after importing a file.
 */
import type { DAG } from './dag.ts';
import type { TaskGroup } from './task-group.ts';

const buildStack: DAG[] = [];
const registry: DAG[] = [];
const groupStack: TaskGroup[] = [];

export function pushCurrentDag(dag: DAG): void {
  buildStack.push(dag);
}

export function popCurrentDag(dag: DAG): void {
  // Pop exactly this DAG, so a build callback that threw half-way through a
  // nested DAG cannot leave the stack pointing at the wrong one.
  const index = buildStack.lastIndexOf(dag);
  if (index !== -1) buildStack.splice(index);
}

/** The DAG whose build callback is running, or null. */
export function getCurrentDag(): DAG | null {
  return buildStack.at(-1) ?? null;
}

export function pushCurrentGroup(group: TaskGroup): void {
  groupStack.push(group);
}

export function popCurrentGroup(group: TaskGroup): void {
  const index = groupStack.lastIndexOf(group);
  if (index !== -1) groupStack.splice(index);
}

/** The task group whose build callback is running (in the current DAG), or null. */
export function getCurrentGroup(): TaskGroup | null {
  const group = groupStack.at(-1) ?? null;
  return group && group.dag === getCurrentDag() ? group : null;
}

export function registerDag(dag: DAG): void {
  registry.push(dag);
}

/** Every DAG constructed in this process since the last reset, in creation order. */
export function collectDags(): DAG[] {
  return [...registry];
}

export function resetDagRegistry(): void {
  registry.length = 0;
  buildStack.length = 0;
  groupStack.length = 0;
}

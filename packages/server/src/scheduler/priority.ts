/** Effective priority weights, computed once per DAG version as Airflow does with weight_rule. */
import type { SerializedDag } from '@updraft/sdk/serialized';

export function effectiveWeights(dag: SerializedDag): Map<string, number> {
  const byId = new Map(dag.tasks.map((t) => [t.task_id, t]));
  const collect = (start: string, direction: 'downstream_task_ids' | 'upstream_task_ids'): Set<string> => {
    const seen = new Set<string>();
    const stack = [...(byId.get(start)?.[direction] ?? [])];
    while (stack.length) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(byId.get(id)?.[direction] ?? []));
    }
    return seen;
  };
  const weights = new Map<string, number>();
  for (const t of dag.tasks) {
    let w = t.priority_weight;
    if (t.weight_rule !== 'absolute') {
      const related = collect(t.task_id, t.weight_rule === 'downstream' ? 'downstream_task_ids' : 'upstream_task_ids');
      for (const id of related) w += byId.get(id)?.priority_weight ?? 0;
    }
    // task_instance.priority_weight is a 32-bit integer
    weights.set(t.task_id, Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, w)));
  }
  return weights;
}

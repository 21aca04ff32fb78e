/** Airflow's chain() and cross_downstream() helpers. */
import type { DependencyTarget } from './baseoperator.ts';
import { AirflowException } from './exceptions.ts';

/**
 * chain(a, b, [c, d], e): each element is upstream of the next. A list next
 * to a single task fans out/in; two adjacent lists must have the same length
 * and are linked pairwise (c1 → d1, c2 → d2), exactly as Airflow's chain.
 */
export function chain(...elements: (DependencyTarget | DependencyTarget[])[]): void {
  for (let i = 0; i + 1 < elements.length; i++) {
    const up = elements[i];
    const down = elements[i + 1];
    if (Array.isArray(up) && Array.isArray(down)) {
      if (up.length !== down.length) {
        throw new AirflowException(`Chain not supported for different length Iterable. Got ${up.length} and ${down.length}.`);
      }
      up.forEach((task, index) => task.setDownstream(down[index]));
    } else if (Array.isArray(up)) {
      for (const task of up) task.setDownstream(down);
    } else {
      up.setDownstream(down);
    }
  }
}

/** Every task in `from` becomes upstream of every task in `to`. */
export function crossDownstream(from: DependencyTarget[], to: DependencyTarget | DependencyTarget[]): void {
  for (const task of from) task.setDownstream(to);
}

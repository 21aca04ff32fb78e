/** Cycle detection over task ids, reporting the cycle as a readable path. */

/**
 * Returns a cycle as ids from its first task back to it (["a","b","c","a"]),
 * or null. Iterative DFS: generated DAGs can be deep enough to overflow the
 * call stack with recursion.
 */
export function findCycle(downstream: Map<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>();
  for (const start of downstream.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [start];
    const iterators = [downstream.get(start)![Symbol.iterator]()];
    state.set(start, 'visiting');
    while (path.length > 0) {
      const next = iterators.at(-1)!.next();
      if (next.done) {
        state.set(path.pop()!, 'done');
        iterators.pop();
        continue;
      }
      const child = next.value;
      const childState = state.get(child);
      if (childState === 'visiting') return [...path.slice(path.indexOf(child)), child];
      if (childState === 'done' || !downstream.has(child)) continue;
      state.set(child, 'visiting');
      path.push(child);
      iterators.push(downstream.get(child)![Symbol.iterator]());
    }
  }
  return null;
}

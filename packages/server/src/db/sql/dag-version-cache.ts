/**
 * Serialized DAG versions never change once written, so each process keeps the
 * ones it has read: the scheduler and the Execution API need one on every
 * task state change, and parsing the JSON each time showed up in the handoff.
 */
import type { SerializedDag } from '@updraft/sdk/serialized';
import { getDagVersion } from './dags.ts';
import type { Queryable } from './queryable.ts';

const MAX_ENTRIES = 1000;

export class DagVersionCache {
  private readonly versions = new Map<number, SerializedDag>();

  async get(db: Queryable, id: number): Promise<SerializedDag> {
    const cached = this.versions.get(id);
    if (cached) return cached;
    const dag = await getDagVersion(db, id);
    // versions are small and few; a crude bound keeps a long-lived process from growing without end
    if (this.versions.size >= MAX_ENTRIES) this.versions.clear();
    this.versions.set(id, dag);
    return dag;
  }
}

/// <reference lib="webworker" />
/**
 * Graph layout off the main thread: ELK's layered algorithm, left to right.
 * A 1,000-task DAG takes a few hundred milliseconds here; the page stays responsive.
 */
import ELK, { type ElkNode } from 'elkjs/lib/elk.bundled.js';

const elk = new ELK();

self.onmessage = async (e: MessageEvent<{ id: number; graph: ElkNode }>) => {
  const { id, graph } = e.data;
  try {
    const layout = await elk.layout(graph);
    self.postMessage({ id, layout });
  } catch (err) {
    self.postMessage({ id, error: (err as Error).message ?? String(err) });
  }
};

/** The Graph's nodes and edges for ELK, built from the DAG's tasks and which groups are folded; laid out in a worker. */
import type { ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { DagTree, TaskNode } from '../dag-tree.ts';

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 44;

export interface LayoutInput {
  graph: ElkNode;
  /** node id → group node id it sits in (expanded groups only) */
  parents: Map<string, string>;
  edges: { id: string; source: string; target: string }[];
}

export function buildLayoutInput(tree: DagTree, collapsed: Set<string>): LayoutInput {
  const byId = new Map(tree.tasks.map((t) => [t.task_id, t]));
  const root: ElkNode = { id: 'root', children: [], edges: [] };
  const containers = new Map<string, ElkNode>([['', root]]);
  const parents = new Map<string, string>();
  const big = tree.tasks.length > 300;
  for (const row of tree.rows(collapsed)) {
    const containerId = row.kind === 'task' ? row.task.task_group_id ?? '' : tree.parentGroup(row.id) ?? '';
    const container = containers.get(containerId) ?? root;
    if (containerId) parents.set(row.kind === 'task' ? row.id : `group:${row.id}`, `group:${containerId}`);
    if (row.kind === 'task') {
      container.children!.push({ id: row.id, width: NODE_WIDTH, height: NODE_HEIGHT });
    } else if (row.collapsed) {
      container.children!.push({ id: `group:${row.id}`, width: NODE_WIDTH, height: NODE_HEIGHT });
    } else {
      const node: ElkNode = { id: `group:${row.id}`, children: [], layoutOptions: { 'elk.padding': '[top=32,left=12,bottom=12,right=12]' } };
      container.children!.push(node);
      containers.set(row.id, node);
    }
  }
  const edges: LayoutInput['edges'] = [];
  const seen = new Set<string>();
  for (const t of tree.tasks) {
    const source = tree.visibleNode(t.task_id, collapsed, byId);
    for (const d of t.downstream_task_ids) {
      if (!byId.has(d)) continue;
      const target = tree.visibleNode(d, collapsed, byId);
      const id = `${source}->${target}`;
      if (source === target || seen.has(id)) continue;
      seen.add(id);
      edges.push({ id, source, target });
    }
  }
  root.edges = edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] }));
  root.layoutOptions = {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.layered.spacing.nodeNodeBetweenLayers': '60',
    'elk.spacing.nodeNode': '16',
    // large DAGs: a cheaper crossing and placement pass (measured: ~3× faster on 1,000 tasks, still readable)
    ...(big ? { 'elk.layered.thoroughness': '1', 'elk.layered.nodePlacement.strategy': 'LINEAR_SEGMENTS', 'elk.layered.crossingMinimization.greedySwitch.type': 'OFF' } : {}),
  };
  return { graph: root, parents, edges };
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve(n: ElkNode): void; reject(e: Error): void }>();

export function layoutInWorker(graph: ElkNode): Promise<ElkNode> {
  if (!worker) {
    worker = new Worker(new URL('./graph-layout.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ id: number; layout?: ElkNode; error?: string }>) => {
      const p = pending.get(e.data.id);
      pending.delete(e.data.id);
      if (e.data.error) p?.reject(new Error(e.data.error));
      else p?.resolve(e.data.layout!);
    };
  }
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker!.postMessage({ id, graph });
  });
}

export type { TaskNode };

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
    // the row order as positions: the INTERACTIVE crossing minimisation of large DAGs keeps it
    const order = { x: 0, y: container.children!.length * NODE_HEIGHT };
    if (row.kind === 'task') {
      container.children!.push({ id: row.id, width: NODE_WIDTH, height: NODE_HEIGHT, ...order });
    } else if (row.collapsed) {
      container.children!.push({ id: `group:${row.id}`, width: NODE_WIDTH, height: NODE_HEIGHT, ...order });
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
    // edges between tasks of different groups need ELK to lay out the hierarchy as one (costlier: only with groups)
    ...(tree.hasGroups ? { 'elk.hierarchyHandling': 'INCLUDE_CHILDREN' } : {}),
    'elk.layered.spacing.nodeNodeBetweenLayers': '60',
    'elk.spacing.nodeNode': '16',
    // Large DAGs: longest-path layering, the tasks' own (topological) order within a layer and
    // simple placement instead of network-simplex layering, crossing minimisation and
    // Brandes-Köpf: on 1,000 tasks ELK's first layout drops from ~1.6 s to ~0.8 s (bench/ui.ts),
    // and the author's order reads well.
    ...(big
      ? {
          'elk.layered.layering.strategy': 'LONGEST_PATH',
          'elk.layered.crossingMinimization.strategy': 'INTERACTIVE',
          'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
          'elk.layered.thoroughness': '1',
          'elk.layered.nodePlacement.strategy': 'SIMPLE',
          'elk.edgeRouting': 'POLYLINE',
        }
      : {}),
  };
  return { graph: root, parents, edges };
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve(n: ElkNode): void; reject(e: Error): void }>();

/** Starts the layout worker (loading and warming ELK) ahead of the first layout; the DAG page calls it on open. */
export function startLayoutWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./graph-layout.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ id: number; layout?: ElkNode; error?: string }>) => {
      const p = pending.get(e.data.id);
      pending.delete(e.data.id);
      if (e.data.error) p?.reject(new Error(e.data.error));
      else p?.resolve(e.data.layout!);
    };
  }
  return worker;
}

/**
 * The layout of a graph: from this page's memory or the session's storage when the same
 * graph (same tasks, edges and folded groups) was laid out before, else from the worker.
 * Switching tabs or reloading the page then draws a large DAG without laying it out again.
 */
const memory = new Map<string, Promise<ElkNode>>();
export function layoutCached(graph: ElkNode): Promise<ElkNode> {
  const key = `updraft.layout.${hash(JSON.stringify(graph))}`;
  let layout = memory.get(key);
  if (!layout) {
    // one layout per graph even when asked twice at once (prefetch and the Graph itself)
    const stored = readStored(key);
    layout = stored ? Promise.resolve(stored) : layoutInWorker(graph).then((l) => (store(key, l), l));
    layout.catch(() => memory.delete(key));
    memory.set(key, layout);
  }
  return layout;
}

function store(key: string, layout: ElkNode) {
  try {
    sessionStorage.setItem(key, JSON.stringify(layout));
  } catch {
    // storage full or unavailable: the memory copy still serves this page
  }
}

/**
 * Lays out a DAG's graph (all groups unfolded, as the Graph opens) in the background, so
 * that opening the Graph tab finds it ready. The DAG page calls it while showing another tab.
 */
export function prefetchLayout(tree: DagTree): void {
  void layoutCached(buildLayoutInput(tree, new Set()).graph).catch(() => undefined);
}

function readStored(key: string): ElkNode | null {
  try {
    const text = sessionStorage.getItem(key);
    return text ? (JSON.parse(text) as ElkNode) : null;
  } catch {
    return null;
  }
}

/** FNV-1a, 32 bits twice (two seeds): a cache key, not a security measure */
function hash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36) + text.length.toString(36);
}

export function layoutInWorker(graph: ElkNode): Promise<ElkNode> {
  const w = startLayoutWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, graph });
  });
}

export type { TaskNode };

/**
 * The Graph: the DAG left to right (ELK, in a web worker), nodes coloured by
 * their state in the selected run and refreshed while it runs, task groups
 * that fold, zoom and pan. Clicking a task opens its task instance panel.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Background, Controls, Handle, MiniMap, Position, ReactFlow, ReactFlowProvider, useNodesState, useReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { enc } from '../api.ts';
import { DagTree, groupLabel, summaryState, type TaskGroup, type TaskNode } from '../dag-tree.ts';
import { useApi } from '../hooks.ts';
import { navigate, withQuery } from '../router.tsx';
import { ACTIVE_STATES, stateColor } from '../states.ts';
import { ErrorBox, Loading } from './common.tsx';
import type { GridRun } from './Grid.tsx';
import { Legend, RunSelect } from './RunSelect.tsx';
import { buildLayoutInput, layoutCached, NODE_HEIGHT, NODE_WIDTH } from './graph-layout.ts';

interface TaskData extends Record<string, unknown> {
  label: string;
  sub: string;
  state: string | null;
  selected: boolean;
  group?: string;
  collapsed?: boolean;
  mapped?: number;
  /** opens the task's panel (or folds / unfolds the group): the node's button, so the keyboard reaches it */
  open?: () => void;
}

const TaskBox = memo(function TaskBox({ data }: NodeProps<Node<TaskData>>) {
  return (
    <div className={data.selected ? 'graph-node selected' : 'graph-node'} data-state={data.state ?? 'none'} style={{ borderLeftColor: stateColor(data.state) }} title={`${data.label}: ${data.state ?? 'no status'}`}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <button type="button" className="graph-node-label" onClick={(e) => (e.stopPropagation(), data.open?.())} aria-label={`${data.group ? `Expand group ${data.label}` : `Open ${data.label}`}: ${data.state ?? 'no status'}`}>
        {data.group ? `▸ ${data.label}` : data.label}
        {data.mapped ? <span className="mapped-mark"> [{data.mapped}]</span> : null}
      </button>
      <div className="graph-node-sub">
        <span>{data.sub}</span>
        <span className="graph-node-state">{data.state ?? ''}</span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const GroupBox = memo(function GroupBox({ data }: NodeProps<Node<TaskData>>) {
  return (
    <div className="graph-group" data-state={data.state ?? 'none'} style={{ borderColor: stateColor(data.state) }}>
      <button type="button" className="graph-group-label" onClick={(e) => (e.stopPropagation(), data.open?.())} aria-label={`Collapse group ${data.label}`}>
        ▾ {data.label}
      </button>
    </div>
  );
});

const nodeTypes = { task: TaskBox, group: GroupBox };
const HANDLES = [
  { type: 'target' as const, position: Position.Left, x: 0, y: NODE_HEIGHT / 2, width: 1, height: 1 },
  { type: 'source' as const, position: Position.Right, x: NODE_WIDTH - 1, y: NODE_HEIGHT / 2, width: 1, height: 1 },
];

interface TiRow {
  task_id: string;
  map_index: number;
  state: string | null;
}

function GraphCanvas({ dagId, runs, runId, taskId }: { dagId: string; runs: GridRun[]; runId: string | null; taskId: string | null }) {
  const run = runs.find((r) => r.dag_run_id === runId) ?? null;
  const structure = useApi<{ tasks: TaskNode[]; task_groups: TaskGroup[] }>(`/ui/dags/${enc(dagId)}/structure${runId && run ? `?run_id=${enc(runId)}` : ''}`);
  const tis = useApi<{ task_instances: TiRow[] }>(runId && run ? `/ui/dags/${enc(dagId)}/dagRuns/${enc(runId)}/states` : null, { pollMs: 1500, poll: !!run && ACTIVE_STATES.has(run.state) });
  // the run's final state arrives with the grid poll: fetch the instances once more then
  const { reload: reloadTis } = tis;
  useEffect(() => reloadTis(), [run?.state, reloadTis]);
  const tree = useMemo(() => {
    if (!structure.data) return null;
    performance.mark('updraft:graph-structure');
    return new DagTree(structure.data.tasks, structure.data.task_groups);
  }, [structure.data]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const [layout, setLayout] = useState<{ nodes: Node<TaskData>[]; edges: Edge[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const flow = useReactFlow();

  // layout depends on the structure and the folded groups only, never on states
  useEffect(() => {
    if (!tree) return;
    let cancelled = false;
    const input = buildLayoutInput(tree, collapsed);
    performance.mark('updraft:graph-layout-start');
    layoutCached(input.graph)
      .then((result) => {
        if (cancelled) return;
        const nodes: Node<TaskData>[] = [];
        const visit = (n: typeof result, parent: string | undefined) => {
          for (const c of n.children ?? []) {
            const isGroup = c.id.startsWith('group:');
            const expandedGroup = isGroup && !!c.children;
            nodes.push({
              id: c.id,
              type: expandedGroup ? 'group' : 'task',
              position: { x: c.x ?? 0, y: c.y ?? 0 },
              ...(parent ? { parentId: parent, extent: 'parent' as const } : {}),
              // sizes and handle places given, so React Flow draws at once instead of measuring 1,000 nodes first
              width: expandedGroup ? c.width : NODE_WIDTH,
              height: expandedGroup ? c.height : NODE_HEIGHT,
              handles: expandedGroup ? [] : HANDLES,
              data: { label: isGroup ? groupLabel(c.id.slice(6)) : c.id, sub: '', state: null, selected: false, group: isGroup && !expandedGroup ? c.id.slice(6) : undefined },
              draggable: false,
              connectable: false,
              zIndex: expandedGroup ? -1 : 1,
            });
            if (expandedGroup) visit(c, c.id);
          }
        };
        visit(result, undefined);
        const edges: Edge[] = input.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, type: 'default', focusable: false }));
        performance.mark('updraft:graph-layout-done');
        setLayout({ nodes, edges });
      })
      .catch((e: Error) => !cancelled && setError(`Layout failed: ${e.message}`));
    return () => {
      cancelled = true;
    };
  }, [tree, collapsed]);

  const openNode = useCallback(
    (id: string) => {
      if (id.startsWith('group:')) {
        const g = id.slice(6);
        setCollapsed((c) => {
          const next = new Set(c);
          if (next.has(g)) next.delete(g);
          else next.add(g);
          return next;
        });
      } else if (runId) {
        navigate(withQuery({ run_id: runId, task_id: id, try: null, map_index: null }, `/dags/${enc(dagId)}/graph`));
      }
    },
    [dagId, runId],
  );

  // states (and the selection) are painted onto the laid-out nodes
  const painted = useMemo(() => {
    if (!layout || !tree) return null;
    const byTask = new Map<string, string[]>();
    for (const ti of tis.data?.task_instances ?? []) {
      const list = byTask.get(ti.task_id) ?? [];
      list.push(ti.state ?? 'none');
      byTask.set(ti.task_id, list);
    }
    const taskById = new Map(tree.tasks.map((t) => [t.task_id, t]));
    const data = new Map<string, TaskData>();
    for (const n of layout.nodes) {
      let state: string | null;
      let sub: string;
      let mapped: number | undefined;
      if (n.id.startsWith('group:')) {
        const ids = tree.groupTasks.get(n.id.slice(6)) ?? [];
        state = summaryState(ids.flatMap((id) => byTask.get(id) ?? [null]));
        sub = `${ids.length} tasks`;
      } else {
        const states = byTask.get(n.id) ?? [];
        const t = taskById.get(n.id);
        state = t?.is_mapped ? summaryState(states) : states[0] ?? null;
        if (t?.is_mapped) mapped = states.length;
        sub = t?.operator ?? '';
      }
      data.set(n.id, { ...n.data, state, sub, mapped, selected: n.id === taskId, open: () => openNode(n.id) });
    }
    return data;
  }, [layout, tree, tis.data, taskId, openNode]);

  // React Flow owns the nodes (it records their measured sizes); a new layout replaces them,
  // new states only replace each node's data, so nothing is measured again
  const [nodes, setNodes, onNodesChange] = useNodesState<Node<TaskData>>([]);
  useEffect(() => {
    if (layout) setNodes(layout.nodes);
  }, [layout, setNodes]);
  useEffect(() => {
    if (painted) setNodes((current) => current.map((n) => (painted.has(n.id) ? { ...n, data: painted.get(n.id)! } : n)));
  }, [painted, setNodes]);

  // a new layout is fitted into view once React Flow has its nodes (their sizes are known up front)
  const fitted = useRef<unknown>(null);
  useEffect(() => {
    if (!layout || fitted.current === layout || nodes.length !== layout.nodes.length) return;
    fitted.current = layout;
    const big = layout.nodes.length > 300;
    flow.fitView({ padding: 0.1, maxZoom: 1, minZoom: big ? 0.4 : 0.05, duration: 0 }).then(() =>
      requestAnimationFrame(() => {
        document.querySelector('.graph')?.setAttribute('data-graph-ready', 'true');
        performance.mark('updraft:graph-drawn');
      }),
    );
  }, [layout, nodes, flow]);

  const onNodeClick = (_: unknown, node: Node<TaskData>) => openNode(node.id);

  // the canvas narrows when the task panel opens (and widens when it closes): fit the graph again
  const canvas = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el || !layout) return;
    let width = el.clientWidth;
    const big = layout.nodes.length > 300;
    const obs = new ResizeObserver(() => {
      if (Math.abs(el.clientWidth - width) < 40) return;
      width = el.clientWidth;
      void flow.fitView({ padding: 0.1, maxZoom: 1, minZoom: big ? 0.4 : 0.05, duration: 150 });
    });
    obs.observe(el);
    return () => obs.disconnect();
  }, [layout, flow]);

  if (structure.error) return <ErrorBox error={structure.error} />;
  if (!tree) return <Loading />;
  return (
    <div className="graph" data-run-state={run?.state ?? ''}>
      <ErrorBox error={error ?? tis.error} />
      <div className="graph-toolbar">
        <RunSelect runs={runs} runId={runId} tab="graph" dagId={dagId} />
        {tree.hasGroups && (
          <button type="button" onClick={() => setCollapsed(collapsed.size ? new Set() : new Set(tree.groupTasks.keys()))}>
            {collapsed.size ? 'Expand groups' : 'Collapse groups'}
          </button>
        )}
        <Legend />
      </div>
      <div className="graph-canvas" ref={canvas}>
        <ReactFlow
          nodes={nodes}
          onNodesChange={onNodesChange}
          edges={layout?.edges ?? []}
          nodeTypes={nodeTypes}
          onNodeClick={onNodeClick}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          onlyRenderVisibleElements={(layout?.nodes.length ?? 0) > 200}
          minZoom={0.05}
          maxZoom={2}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={24} />
          <Controls showInteractive={false} />
          {(layout?.nodes.length ?? 0) <= 300 && <MiniMap pannable zoomable nodeColor={(n) => stateColor((n.data as TaskData).state)} />}
        </ReactFlow>
      </div>
    </div>
  );
}

export default function Graph(props: { dagId: string; runs: GridRun[]; runId: string | null; taskId: string | null }) {
  return (
    <ReactFlowProvider>
      <GraphCanvas {...props} />
    </ReactFlowProvider>
  );
}

/**
 * The Grid: one column per run (oldest left), one row per task, a coloured cell
 * per task instance. Only the rows in view are rendered, so 1,000 tasks × 25
 * runs draw as quickly as 30; task groups fold; mapped tasks show their count.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { enc } from '../api.ts';
import { DagTree, groupLabel, summaryState, type TaskGroup, type TaskNode } from '../dag-tree.ts';
import { navigate, withQuery } from '../router.tsx';
import { stateColor } from '../states.ts';
import { formatDuration, useTime } from '../time.tsx';

export interface GridRun {
  dag_run_id: string;
  state: string;
  run_type: string;
  logical_date: string | null;
  run_after: string;
  queued_at: string | null;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  note: string | null;
}

export interface GridData {
  dag_id: string;
  runs: GridRun[];
  tasks: TaskNode[];
  task_groups: TaskGroup[];
  /** false when asked without states (the DAG page's other tabs) */
  states_included: boolean;
  states: Record<string, (string | null)[]>;
  mapped: Record<string, Record<number, Record<string, number>>>;
}

const ROW_HEIGHT = 24;
const OVERSCAN = 10;

export function runDuration(r: GridRun, now = Date.now()): number {
  if (r.duration !== null) return r.duration;
  if (r.start_date) return (now - new Date(r.start_date).getTime()) / 1000;
  return 0;
}

export function Grid({ data, runId, taskId }: { data: GridData; runId: string | null; taskId: string | null }) {
  const { format } = useTime();
  const tree = useMemo(() => new DagTree(data.tasks, data.task_groups), [data.tasks, data.task_groups]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const rows = useMemo(() => tree.rows(collapsed), [tree, collapsed]);
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const selectedCol = data.runs.findIndex((r) => r.dag_run_id === runId);
  const maxDuration = Math.max(1, ...data.runs.map((r) => runDuration(r)));

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight || 600 });
    measure();
    const obs = new ResizeObserver(measure);
    obs.observe(el);
    return () => obs.disconnect();
  }, []);
  // bench/ui.ts and the tests wait for this mark
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      scroller.current?.setAttribute('data-grid-ready', 'true');
      performance.mark('updraft:grid-drawn');
    });
    return () => cancelAnimationFrame(frame);
  }, [data]);

  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  const toggle = (id: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const select = (run: string, task: string | null) => navigate(withQuery({ run_id: run, task_id: task, try: null, map_index: null }, `/dags/${enc(data.dag_id)}/grid`));

  // arrow keys move between cells (rows above and below are rendered: the overscan keeps them in the DOM)
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const cell = (e.target as HTMLElement).closest('.cell');
    if (!cell || !['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) return;
    const row = cell.closest('.grid-row')!;
    const col = [...cell.parentElement!.children].indexOf(cell);
    let next: Element | null | undefined;
    if (e.key === 'ArrowLeft') next = cell.previousElementSibling;
    else if (e.key === 'ArrowRight') next = cell.nextElementSibling;
    else next = (e.key === 'ArrowUp' ? row.previousElementSibling : row.nextElementSibling)?.querySelectorAll('.cell')[col];
    if (next instanceof HTMLElement) {
      e.preventDefault();
      next.focus();
      next.scrollIntoView({ block: 'nearest' });
    }
  };

  if (!data.runs.length && !data.tasks.length) return <p className="muted">This DAG has no tasks yet.</p>;
  return (
    <div className="grid" style={{ ['--runs' as string]: Math.max(1, data.runs.length) }}>
      <div className="grid-head">
        <div className="grid-names-head">
          {tree.hasGroups && (
            <button type="button" className="link-button" onClick={() => setCollapsed(collapsed.size ? new Set() : new Set(tree.groupTasks.keys()))}>
              {collapsed.size ? 'Expand all' : 'Collapse all'}
            </button>
          )}
          <span className="muted">{data.tasks.length} tasks · {data.runs.length} runs</span>
        </div>
        <div className="grid-runbars" role="row">
          {data.runs.map((r, i) => (
            <button
              key={r.dag_run_id}
              type="button"
              className={i === selectedCol ? 'runbar selected' : 'runbar'}
              title={`${r.dag_run_id}\n${r.state} · ${r.run_type}\n${format(r.logical_date ?? r.run_after)}\n${formatDuration(runDuration(r))}`}
              aria-label={`Run ${r.dag_run_id}: ${r.state}`}
              data-state={r.state}
              onClick={() => select(r.dag_run_id, null)}
            >
              <span className="runbar-fill" style={{ height: `${Math.max(8, (runDuration(r) / maxDuration) * 100)}%`, background: stateColor(r.state) }} />
            </button>
          ))}
        </div>
      </div>
      <div className="grid-scroll" ref={scroller} onScroll={(e) => setView({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })} role="grid" aria-label="Task instances by run" aria-rowcount={rows.length} onKeyDown={onKeyDown}>
        <div style={{ height: rows.length * ROW_HEIGHT, position: 'relative' }}>
          <div style={{ transform: `translateY(${first * ROW_HEIGHT}px)` }}>
            {rows.slice(first, last).map((row, k) => {
              const states = row.kind === 'task' ? data.states[row.id] ?? [] : data.runs.map((_, col) => summaryState(row.taskIds.map((t) => data.states[t]?.[col] ?? null)));
              const isSelectedTask = row.kind === 'task' && row.id === taskId;
              return (
                <div key={`${row.kind}:${row.id}`} className={isSelectedTask ? 'grid-row selected' : 'grid-row'} role="row" aria-rowindex={first + k + 1} data-task-id={row.kind === 'task' ? row.id : undefined}>
                  <div className="grid-name" role="rowheader" style={{ paddingLeft: 8 + row.depth * 14 }} title={row.kind === 'task' ? `${row.id} (${row.task.operator})` : row.id}>
                    {row.kind === 'group' ? (
                      <button type="button" className="group-toggle" aria-expanded={!row.collapsed} onClick={() => toggle(row.id)}>
                        {row.collapsed ? '▸' : '▾'} {groupLabel(row.id)} <span className="muted">({row.taskIds.length})</span>
                      </button>
                    ) : (
                      <button type="button" className="task-name" onClick={() => select(runId ?? data.runs[data.runs.length - 1]?.dag_run_id ?? '', row.id)} disabled={!data.runs.length}>
                        {row.task.task_group_id && row.id.startsWith(`${row.task.task_group_id}.`) ? row.id.slice(row.task.task_group_id.length + 1) : row.id}
                        {row.task.is_mapped && <span className="mapped-mark"> [ ]</span>}
                      </button>
                    )}
                  </div>
                  <div className="grid-cells">
                    {data.runs.map((r, col) => {
                      const state = states[col] ?? null;
                      const counts = row.kind === 'task' ? data.mapped[row.id]?.[col] : undefined;
                      const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : 0;
                      const label = `${row.id} · ${r.dag_run_id}: ${state ?? 'no status'}${counts ? ` (${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')})` : ''}`;
                      return (
                        <button
                          key={col}
                          type="button"
                          className={col === selectedCol ? (isSelectedTask ? 'cell selected-col selected' : 'cell selected-col') : 'cell'}
                          data-state={state ?? 'none'}
                          title={label}
                          aria-label={label}
                          onClick={() => (row.kind === 'group' ? toggle(row.id) : select(r.dag_run_id, row.id))}
                        >
                          <span className="cell-fill" style={state ? { background: stateColor(state) } : undefined}>
                            {total ? <span className="cell-count">{total}</span> : null}
                          </span>
                        </button>
                      );
                    })}
                  </div>
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}

/**
 * Tasks arranged by task group, for the Grid's rows and the Graph's nodes.
 * Groups come from the serialized DAG's task_group_id / task_groups when the
 * DAG has them; a DAG without groups is a flat list.
 */
export interface TaskNode {
  task_id: string;
  operator: string;
  downstream_task_ids: string[];
  upstream_task_ids: string[];
  trigger_rule: string;
  task_group_id: string | null;
  is_mapped: boolean;
  is_setup?: boolean;
  is_teardown?: boolean;
}

export interface TaskGroup {
  group_id: string;
  parent_group_id: string | null;
  tooltip: string | null;
}

export type Row =
  | { kind: 'task'; id: string; depth: number; task: TaskNode }
  | { kind: 'group'; id: string; depth: number; taskIds: string[]; collapsed: boolean };

export class DagTree {
  readonly tasks: TaskNode[];
  private readonly parent = new Map<string, string | null>();
  /** ordered children (task ids and group ids) of each group; '' is the DAG itself */
  private readonly children = new Map<string, { kind: 'task' | 'group'; id: string }[]>();
  /** every task inside each group, nested groups included */
  readonly groupTasks = new Map<string, string[]>();

  constructor(tasks: TaskNode[], groups: TaskGroup[] = []) {
    this.tasks = tasks;
    for (const g of groups) this.parent.set(g.group_id, g.parent_group_id);
    const parentOf = (g: string): string | null => {
      if (this.parent.has(g)) return this.parent.get(g)!;
      const dot = g.lastIndexOf('.');
      const p = dot > 0 ? g.slice(0, dot) : null;
      this.parent.set(g, p);
      return p;
    };
    const seen = new Set<string>();
    const add = (container: string, kind: 'task' | 'group', id: string) => {
      const key = `${kind}:${id}`;
      if (seen.has(key)) return;
      seen.add(key);
      const list = this.children.get(container) ?? [];
      list.push({ kind, id });
      this.children.set(container, list);
    };
    for (const t of tasks) {
      const chain: string[] = [];
      for (let g = t.task_group_id; g; g = parentOf(g)) chain.unshift(g);
      let container = '';
      for (const g of chain) {
        add(container, 'group', g);
        const all = this.groupTasks.get(g) ?? [];
        all.push(t.task_id);
        this.groupTasks.set(g, all);
        container = g;
      }
      add(container, 'task', t.task_id);
    }
  }

  get hasGroups(): boolean {
    return this.groupTasks.size > 0;
  }

  /** the rows to show, groups in `collapsed` folded */
  rows(collapsed: Set<string>): Row[] {
    const byId = new Map(this.tasks.map((t) => [t.task_id, t]));
    const out: Row[] = [];
    const walk = (container: string, depth: number) => {
      for (const c of this.children.get(container) ?? []) {
        if (c.kind === 'task') out.push({ kind: 'task', id: c.id, depth, task: byId.get(c.id)! });
        else {
          const isCollapsed = collapsed.has(c.id);
          out.push({ kind: 'group', id: c.id, depth, taskIds: this.groupTasks.get(c.id) ?? [], collapsed: isCollapsed });
          if (!isCollapsed) walk(c.id, depth + 1);
        }
      }
    };
    walk('', 0);
    return out;
  }

  /** the node that stands for a task when groups are collapsed: the outermost collapsed group around it, or itself */
  visibleNode(taskId: string, collapsed: Set<string>, byId: Map<string, TaskNode>): string {
    let node = taskId;
    for (let g = byId.get(taskId)?.task_group_id ?? null; g; g = this.parent.get(g) ?? null) if (collapsed.has(g)) node = `group:${g}`;
    return node;
  }

  parentGroup(groupId: string): string | null {
    return this.parent.get(groupId) ?? null;
  }
}

/** the label of a group id: its last part ("outer.inner" → "inner") */
export const groupLabel = (id: string) => id.slice(id.lastIndexOf('.') + 1);

/** what a set of instance states shows as one state: the most urgent present */
const PRIORITY = ['failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'queued', 'scheduled', 'deferred', 'running', 'restarting', 'none', 'removed', 'skipped', 'success'];
export function summaryState(states: (string | null)[]): string | null {
  if (!states.length || states.every((s) => s === null)) return null;
  const present = new Set(states.map((s) => s ?? 'none'));
  return PRIORITY.find((s) => present.has(s)) ?? null;
}

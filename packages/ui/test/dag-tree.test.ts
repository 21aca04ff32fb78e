/** The Grid's rows and the Graph's nodes by task group (pure logic, no browser). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DagTree, groupLabel, summaryState, type TaskNode } from '../src/dag-tree.ts';

const task = (task_id: string, task_group_id: string | null, downstream: string[] = []): TaskNode => ({
  task_id,
  operator: 'EmptyOperator',
  downstream_task_ids: downstream,
  upstream_task_ids: [],
  trigger_rule: 'all_success',
  task_group_id,
  is_mapped: false,
});

// start → section.inner.a → section.b → end, groups given only by task_group_id (no task_groups list)
const tasks = [task('start', null, ['section.inner.a']), task('section.inner.a', 'section.inner', ['section.b']), task('section.b', 'section', ['end']), task('end', null)];

test('rows nest tasks under their groups in the DAG order, and folded groups hide their tasks', () => {
  const tree = new DagTree(tasks);
  assert.equal(tree.hasGroups, true);
  assert.deepEqual(
    tree.rows(new Set()).map((r) => `${'  '.repeat(r.depth)}${r.kind}:${r.id}`),
    ['task:start', 'group:section', '  group:section.inner', '    task:section.inner.a', '  task:section.b', 'task:end'],
  );
  const folded = tree.rows(new Set(['section']));
  assert.deepEqual(folded.map((r) => r.id), ['start', 'section', 'end']);
  assert.deepEqual(folded[1].kind === 'group' && folded[1].taskIds, ['section.inner.a', 'section.b']);
  assert.equal(groupLabel('section.inner'), 'inner');
});

test('a task inside folded groups is drawn as the outermost folded group', () => {
  const tree = new DagTree(tasks, [
    { group_id: 'section', parent_group_id: null, tooltip: null },
    { group_id: 'section.inner', parent_group_id: 'section', tooltip: null },
  ]);
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  assert.equal(tree.visibleNode('section.inner.a', new Set(['section.inner']), byId), 'group:section.inner');
  assert.equal(tree.visibleNode('section.inner.a', new Set(['section', 'section.inner']), byId), 'group:section');
  assert.equal(tree.visibleNode('start', new Set(['section']), byId), 'start');
});

test('a DAG without groups is a flat list', () => {
  const tree = new DagTree([task('a', null, ['b']), task('b', null)]);
  assert.equal(tree.hasGroups, false);
  assert.deepEqual(tree.rows(new Set()).map((r) => r.id), ['a', 'b']);
});

test('a group or mapped task shows its most urgent state', () => {
  assert.equal(summaryState(['success', 'failed', 'running']), 'failed');
  assert.equal(summaryState(['success', 'running']), 'running');
  assert.equal(summaryState(['success', null]), 'none');
  assert.equal(summaryState([null, null]), null);
});

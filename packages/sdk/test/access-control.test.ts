import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { DAG, DagDefinitionError, EmptyOperator, resetDagRegistry, serializeDag, type AccessControl } from '@updraft/sdk';

beforeEach(() => resetDagRegistry());

const FILE = 'dags/x.ts';

function serialize(access_control: unknown) {
  resetDagRegistry();
  return serializeDag(new DAG({ dag_id: 'team_dag', access_control: access_control as AccessControl }, () => new EmptyOperator({ task_id: 't' })), FILE);
}

describe('DAG access_control', () => {
  it('takes the older form (actions on the DAG) as arrays or Sets, and serializes the per-resource form', () => {
    const s = serialize({ team_a: ['can_read', 'can_edit', 'can_read'], team_b: new Set(['can_read']) });
    assert.deepEqual(s.access_control, { team_a: { DAGs: ['can_edit', 'can_read'] }, team_b: { DAGs: ['can_read'] } });
  });

  it('takes the per-resource form with DAGs and DAG Runs', () => {
    const s = serialize({ team_a: { DAGs: ['can_read'], 'DAG Runs': new Set(['can_create', 'can_delete']) } });
    assert.deepEqual(s.access_control, { team_a: { DAGs: ['can_read'], 'DAG Runs': ['can_create', 'can_delete'] } });
  });

  it('is absent from the serialized DAG when not set, so existing DAGs keep their serialized form', () => {
    assert.equal('access_control' in serialize(undefined), false);
    assert.equal('access_control' in serialize(null), false);
  });

  it('can be set after construction, as Airflow authors do', () => {
    const d = new DAG({ dag_id: 'later' });
    d.access_control = { ops: ['can_delete'] };
    assert.deepEqual(serializeDag(d, FILE).access_control, { ops: { DAGs: ['can_delete'] } });
  });

  it('fails the parse with the DAG named and the problem for unknown actions, resources and shapes', () => {
    const cases: [unknown, RegExp][] = [
      [{ team_a: ['can_read', 'can_fly'] }, /^dags\/x\.ts: DAG 'team_dag': access_control: role 'team_a': unknown action "can_fly" on DAGs \(allowed: can_read, can_edit, can_delete\)$/],
      [{ team_a: { 'DAG Runs': ['can_edit'] } }, /unknown action "can_edit" on DAG Runs \(allowed: can_read, can_create, can_delete\)/],
      [{ team_a: { Variables: ['can_read'] } }, /role 'team_a': unknown resource 'Variables' \(expected 'DAGs' or 'DAG Runs'\)/],
      [{ team_a: 'can_read' }, /role 'team_a' must map to a list of actions/],
      [{ team_a: { DAGs: 'can_read' } }, /the actions on DAGs must be an array or a Set/],
      [['team_a'], /access_control must be an object of role names/],
      [{ '': ['can_read'] }, /a role name is empty/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => serialize(value),
        (error: unknown) => {
          assert.ok(error instanceof DagDefinitionError, String(error));
          assert.match(error.message, message);
          assert.equal(error.dag_id, 'team_dag');
          return true;
        },
        JSON.stringify(value),
      );
    }
  });
});

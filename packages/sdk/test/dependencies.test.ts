import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { DAG, EmptyOperator, chain, crossDownstream, resetDagRegistry, serializeDag, task, type BaseOperator } from '@updraft/sdk';

beforeEach(() => resetDagRegistry());

/** "up>down" for every edge, sorted, so tests read like the graph. */
function edges(dag: DAG): string[] {
  return dag.tasks.flatMap((t) => t.downstream_task_ids.map((d) => `${t.task_id}>${d}`)).sort();
}

function ops(...ids: string[]): EmptyOperator[] {
  return ids.map((task_id) => new EmptyOperator({ task_id }));
}

describe('then / setDownstream / setUpstream', () => {
  it('a.then(b) returns b so calls chain, and a.then([b, c]) returns the list', () => {
    const d = new DAG({ dag_id: 'then' }, () => {
      const [a, b, c, x, y] = ops('a', 'b', 'c', 'x', 'y');
      assert.equal(a.then(b), b);
      assert.equal(b.then(c).then(x), x);
      const list = [x, y];
      assert.equal(c.then(list), list);
    });
    assert.deepEqual(edges(d), ['a>b', 'b>c', 'c>x', 'c>y']);
    assert.deepEqual(d.getTask('x').upstream_task_ids, ['c']);
  });

  it('setUpstream/setDownstream take one task or a list and keep both sides in sync', () => {
    const d = new DAG({ dag_id: 'set' }, () => {
      const [a, b, c, e] = ops('a', 'b', 'c', 'e');
      c.setUpstream([a, b]);
      c.setDownstream(e);
      c.setDownstream(e); // idempotent
    });
    assert.deepEqual(edges(d), ['a>c', 'b>c', 'c>e']);
    assert.deepEqual(d.getTask('c').upstream_list.map((t) => t.task_id), ['a', 'b']);
    assert.deepEqual(d.getTask('c').downstream_list.map((t) => t.task_id), ['e']);
  });

  it('refuses to be awaited, with an explanation', async () => {
    const d = new DAG({ dag_id: 'await' }, () => ops('a'));
    const a = d.getTask('a');
    await assert.rejects(async () => await (a as unknown as Promise<unknown>), /not awaitable/);
  });
});

describe('chain and crossDownstream', () => {
  it('chains single tasks and fans out / fans in around lists', () => {
    const d = new DAG({ dag_id: 'chain' }, () => {
      const [a, b, c, e] = ops('a', 'b', 'c', 'e');
      chain(a, [b, c], e);
    });
    assert.deepEqual(edges(d), ['a>b', 'a>c', 'b>e', 'c>e']);
  });

  it('pairs two adjacent lists of equal length element-wise', () => {
    const d = new DAG({ dag_id: 'pairs' }, () => {
      const [a, b1, b2, c1, c2, z] = ops('a', 'b1', 'b2', 'c1', 'c2', 'z');
      chain(a, [b1, b2], [c1, c2], z);
    });
    assert.deepEqual(edges(d), ['a>b1', 'a>b2', 'b1>c1', 'b2>c2', 'c1>z', 'c2>z']);
  });

  it('rejects adjacent lists of different lengths like Airflow', () => {
    new DAG({ dag_id: 'bad_chain' }, () => {
      const [a, b, c] = ops('a', 'b', 'c');
      assert.throws(() => chain([a, b], [c]), /Chain not supported for different length Iterable. Got 2 and 1./);
    });
  });

  it('crossDownstream links every task of one list to every task of the other', () => {
    const d = new DAG({ dag_id: 'cross' }, () => {
      const [a, b, x, y] = ops('a', 'b', 'x', 'y');
      crossDownstream([a, b], [x, y]);
    });
    assert.deepEqual(edges(d), ['a>x', 'a>y', 'b>x', 'b>y']);
  });

  it('accepts XComArgs wherever a task is accepted', () => {
    const d = new DAG({ dag_id: 'xcomarg_deps' }, () => {
      const extract = task(function extract() {
        return 1;
      });
      const [a, z] = ops('a', 'z');
      const out = extract();
      assert.equal(a.then(out), out);
      chain(out, [z.output]);
      crossDownstream([z.output], [new EmptyOperator({ task_id: 'end' })]);
      out.setUpstream(new EmptyOperator({ task_id: 'start' }).output);
    });
    assert.deepEqual(edges(d), ['a>extract', 'extract>z', 'start>extract', 'z>end']);
  });
});

describe('cross-DAG dependencies', () => {
  it('are reported when the DAG is serialized', () => {
    let other: BaseOperator | undefined;
    new DAG({ dag_id: 'other' }, () => {
      other = new EmptyOperator({ task_id: 'b' });
    });
    const d = new DAG({ dag_id: 'mine' }, () => {
      new EmptyOperator({ task_id: 'a' }).then(other!);
    });
    assert.throws(
      () => serializeDag(d, 'dags/mine.ts'),
      (error: Error) => {
        assert.equal(error.name, 'DagDefinitionError');
        assert.match(error.message, /^dags\/mine\.ts: DAG 'mine': task dependency on a task of another DAG: 'a' \(DAG 'mine'\) -> 'b' \(DAG 'other'\)/);
        return true;
      },
    );
  });
});

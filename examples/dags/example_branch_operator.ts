/**
 * Port of Airflow's example_branch_operator (the TaskFlow part; the
 * virtualenv variants are Python-only): a branch picks one of four paths at
 * random, the others are skipped, and `join` runs because its trigger rule
 * is none_failed_min_one_success.
 */
import { DAG, EmptyOperator, task } from '@updraft/sdk';

export default new DAG(
  {
    dag_id: 'example_branch_operator',
    start_date: '2021-01-01',
    catchup: false,
    schedule: '@daily',
    tags: ['example', 'example2'],
  },
  () => {
    const run_this_first = new EmptyOperator({ task_id: 'run_this_first' });
    const options = ['a', 'b', 'c', 'd'];

    const branching = task.branch(function branching(choices: string[]): string {
      return `branch_${choices[Math.floor(Math.random() * choices.length)]}`;
    });
    const random_choice_instance = branching(options);
    run_this_first.then(random_choice_instance);

    const join = new EmptyOperator({ task_id: 'join', trigger_rule: 'none_failed_min_one_success' });
    for (const option of options) {
      const some_task = task(
        function some_task() {
          console.log('doing something in TypeScript');
        },
        { task_id: `branch_${option}` },
      );
      const t = some_task();
      const empty = new EmptyOperator({ task_id: `follow_branch_${option}` });
      random_choice_instance.then(t).then(empty).then(join);
    }
  },
);

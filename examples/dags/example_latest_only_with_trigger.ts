/**
 * Port of Airflow's example_latest_only_with_trigger: task1 (and task3,
 * all_success) are skipped in every run but the latest scheduled one; task2
 * always runs, and task4 (all_done) runs whatever happened upstream.
 */
import { DAG, EmptyOperator, LatestOnlyOperator } from '@updraft/sdk';

export default new DAG(
  {
    dag_id: 'example_latest_only_with_trigger',
    schedule: { hours: 4 },
    start_date: '2021-01-01',
    catchup: false,
    tags: ['example3'],
  },
  () => {
    const latest_only = new LatestOnlyOperator({ task_id: 'latest_only' });
    const task1 = new EmptyOperator({ task_id: 'task1' });
    const task2 = new EmptyOperator({ task_id: 'task2' });
    const task3 = new EmptyOperator({ task_id: 'task3' });
    const task4 = new EmptyOperator({ task_id: 'task4', trigger_rule: 'all_done' });

    latest_only.then(task1).then([task3, task4]);
    task2.then([task3, task4]);
  },
);

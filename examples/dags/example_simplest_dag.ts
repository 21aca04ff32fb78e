/**
 * Port of Airflow's example_simplest_dag: one TaskFlow task, no schedule.
 */
import { dag, task } from '@updraft/sdk';

export default dag({ dag_id: 'example_simplest_dag' }, () => {
  const my_task = task(function my_task() {});
  my_task();
});

/** Port of Airflow's example_trigger_controller_dag: triggers example_trigger_target_dag with a conf. */
import { DAG, TriggerDagRunOperator } from '@updraft/sdk';

export default new DAG(
  { dag_id: 'example_trigger_controller_dag', start_date: '2021-01-01', catchup: false, schedule: '@once', tags: ['example'] },
  () => {
    new TriggerDagRunOperator({
      task_id: 'test_trigger_dagrun',
      trigger_dag_id: 'example_trigger_target_dag', // the dag_id to trigger
      conf: { message: 'Hello World' },
    });
  },
);

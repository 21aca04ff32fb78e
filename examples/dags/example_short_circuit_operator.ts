/**
 * Port of Airflow's example_short_circuit_operator: a falsy condition skips
 * everything downstream, unless ignore_downstream_trigger_rules is false, in
 * which case only the direct downstream task is skipped and task_7
 * (all_done) still runs.
 */
import { EmptyOperator, chain, dag, task } from '@updraft/sdk';

export default dag({ dag_id: 'example_short_circuit_operator', start_date: '2021-01-01', catchup: false, tags: ['example'] }, () => {
  const check_condition = task.short_circuit(function check_condition(condition: boolean) {
    return condition;
  });

  const ds_true = [1, 2].map((i) => new EmptyOperator({ task_id: `true_${i}` }));
  const ds_false = [1, 2].map((i) => new EmptyOperator({ task_id: `false_${i}` }));

  const condition_is_true = check_condition.override({ task_id: 'condition_is_true' })(true);
  const condition_is_false = check_condition.override({ task_id: 'condition_is_false' })(false);

  chain(condition_is_true, ...ds_true);
  chain(condition_is_false, ...ds_false);

  const [task_1, task_2, task_3, task_4, task_5, task_6] = [1, 2, 3, 4, 5, 6].map((i) => new EmptyOperator({ task_id: `task_${i}` }));
  const task_7 = new EmptyOperator({ task_id: 'task_7', trigger_rule: 'all_done' });

  const short_circuit = task.short_circuit(function check_condition(condition: boolean) {
    return condition;
  }, { task_id: 'short_circuit', ignore_downstream_trigger_rules: false })(false);

  chain(task_1, [task_2, short_circuit], [task_3, task_4], [task_5, task_6], task_7);
});

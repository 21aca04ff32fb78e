/**
 * Port of Airflow's example_dynamic_task_mapping: add_one runs once per
 * element and sum_it receives every result; the second DAG maps over the
 * output of a task and then over the output of that mapped task.
 */
import { DAG, task } from '@updraft/sdk';

const add_one = task(function add_one(x: number) {
  return x + 1;
});

const sum_it = task(function sum_it(values: number[]) {
  const total = values.reduce((a, b) => a + b, 0);
  console.log(`Total was ${total}`);
  return total;
});

new DAG({ dag_id: 'example_dynamic_task_mapping', schedule: null, start_date: '2022-03-04', tags: ['example'] }, () => {
  const added_values = add_one.expand([1, 2, 3]);
  sum_it(added_values);
});

new DAG({ dag_id: 'example_task_mapping_second_order', schedule: null, start_date: '2022-03-04', catchup: false, tags: ['example'] }, () => {
  const get_nums = task(function get_nums() {
    return [1, 2, 3];
  });
  const times_2 = task(function times_2(num: number) {
    return num * 2;
  });
  const add_10 = task(function add_10(num: number) {
    return num + 10;
  });
  add_10.expand(times_2.expand(get_nums()));
});

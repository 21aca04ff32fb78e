/**
 * Port of Airflow's example_bash_operator: a loop of templated bash tasks
 * fanning into one, plus a task that skips itself with exit code 99.
 */
import { BashOperator, DAG, EmptyOperator } from '@updraft/sdk';

const dag = new DAG(
  {
    dag_id: 'example_bash_operator',
    schedule: '0 0 * * *',
    start_date: '2021-01-01',
    catchup: false,
    dagrun_timeout: { minutes: 60 },
    tags: ['example', 'example2'],
    params: { example_key: 'example_value' },
  },
  () => {
    const run_this_last = new EmptyOperator({ task_id: 'run_this_last', trigger_rule: 'all_done' });

    const run_this = new BashOperator({
      task_id: 'run_after_loop',
      bash_command: 'echo https://airflow.apache.org/',
    });

    run_this.then(run_this_last);

    for (let i = 0; i < 3; i++) {
      const runme = new BashOperator({
        task_id: `runme_${i}`,
        bash_command: 'echo "{{ task_instance_key_str }}" && sleep 1',
      });
      runme.then(run_this);
    }

    const also_run_this = new BashOperator({
      task_id: 'also_run_this',
      bash_command: 'echo "ti_key={{ task_instance_key_str }}"',
    });
    also_run_this.then(run_this_last);
  },
);

// Created outside the build callback: attached with the explicit `dag` option.
const this_will_skip = new BashOperator({
  task_id: 'this_will_skip',
  bash_command: 'echo "hello world"; exit 99;',
  dag,
});
this_will_skip.then(dag.getTask('run_this_last'));

export default dag;

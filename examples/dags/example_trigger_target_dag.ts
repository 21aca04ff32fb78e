/** Port of Airflow's example_trigger_target_dag: reads the conf the controller passed, from code and from a template. */
import { BashOperator, DAG, getCurrentContext, task } from '@updraft/sdk';

export default new DAG(
  { dag_id: 'example_trigger_target_dag', start_date: '2021-01-01', catchup: false, schedule: null, tags: ['example'] },
  () => {
    const run_this_func = task(
      function run_this_func() {
        const { dag_run } = getCurrentContext();
        const message = (dag_run.conf as Record<string, unknown>).message;
        console.log(`Remotely received value of ${message} for key=message`);
        return message;
      },
      { task_id: 'run_this' },
    );
    run_this_func();

    new BashOperator({
      task_id: 'bash_task',
      bash_command: 'echo "Here is the message: $message"',
      env: { message: '{{ dag_run.conf.get("message") }}' },
    });
  },
);

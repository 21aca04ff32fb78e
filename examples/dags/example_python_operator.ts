/**
 * Port of Airflow's example_python_operator (the parts that are not about
 * Python virtualenvs): PythonOperator with the context, a templated SQL file
 * through templates_dict, and a loop of short sleeping tasks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { DAG, PythonOperator, type Context } from '@updraft/sdk';

/** Prints the Updraft context and the ds variable from the context. */
function print_context(context: Context): string {
  for (const [key, value] of Object.entries(context)) {
    context.log.info(`${key}: ${inspect(value, { depth: 0, breakLength: Infinity })}`);
  }
  context.log.info(context.ds);
  return 'Whatever you return gets printed in the logs';
}

function log_sql(context: Context): void {
  context.log.info(`Python task decorator query: ${String(context.templates_dict?.query)}`);
}

/** A function that will run within the DAG execution. */
async function my_sleeping_function({ random_base }: { random_base: number }): Promise<void> {
  await sleep(random_base * 1000);
}

export default new DAG(
  {
    dag_id: 'example_python_operator',
    schedule: null,
    start_date: '2021-01-01',
    catchup: false,
    tags: ['example'],
  },
  () => {
    const run_this = new PythonOperator({ task_id: 'print_the_context', python_callable: print_context });

    const log_the_sql = new PythonOperator({
      task_id: 'log_sql_query',
      python_callable: log_sql,
      templates_dict: { query: 'sql/sample.sql' },
      templates_exts: ['.sql'],
    });

    // Five sleeping tasks, sleeping from 0.0 to 0.4 seconds respectively.
    for (let i = 0; i < 5; i++) {
      const sleeping_task = new PythonOperator({
        task_id: `sleep_for_${i}`,
        python_callable: my_sleeping_function,
        op_kwargs: { random_base: i / 10 },
      });
      run_this.then(log_the_sql).then(sleeping_task);
    }
  },
);

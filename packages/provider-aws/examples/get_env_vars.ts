/**
 * get_env_vars — port of "Amazon MWAA — Configuration" (dags/get_env_vars.py):
 * prints the environment variables the task process sees, sorted, one per
 * log line, as the post's PythonOperator does.
 */
import { DAG, PythonOperator, type Context } from '@updraft/sdk';

function print_env_vars(context: Context): void {
  const keys = Object.keys(process.env).sort();
  for (const key of keys) context.log.info(`'${key}': '${process.env[key]}'`);
}

export default new DAG({ dag_id: 'get_env_vars', schedule: null, start_date: '2020-12-01', catchup: false, tags: ['utils'] }, () => {
  new PythonOperator({ task_id: 'get_env_vars_task', python_callable: print_env_vars });
});

/**
 * get_airflow_cfg — port of "Amazon MWAA — Configuration"
 * (dags/get_airflow_cfg.py): prints the configuration file, Updraft's
 * $UPDRAFT_HOME/updraft.cfg (the post printed $AIRFLOW_HOME/airflow.cfg).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DAG, PythonOperator, type Context } from '@updraft/sdk';

function print_airflow_cfg(context: Context): void {
  const home = process.env.UPDRAFT_HOME ?? process.env.AIRFLOW_HOME ?? path.join(os.homedir(), '.updraft');
  const file = path.join(home, 'updraft.cfg');
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: Updraft runs on its defaults and UPDRAFT__SECTION__KEY variables`);
  const file_contents = fs.readFileSync(file, 'utf8');
  context.log.info(`\n${file_contents}`);
}

export default new DAG({ dag_id: 'get_airflow_cfg', schedule: null, start_date: '2020-12-01', catchup: false, tags: ['utils'] }, () => {
  new PythonOperator({ task_id: 'get_airflow_cfg_task', python_callable: print_airflow_cfg });
});

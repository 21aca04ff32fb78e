/**
 * ### Tutorial Documentation
 * Port of Airflow's tutorial DAG: default_args, a daily timedelta schedule,
 * retries, task documentation and a Jinja-templated bash command.
 */
import { BashOperator, DAG } from '@updraft/sdk';

const dag = new DAG(
  {
    dag_id: 'tutorial',
    // These args get passed on to each operator; any of them can be overridden per task.
    default_args: {
      depends_on_past: false,
      email: ['airflow@example.com'],
      email_on_failure: false,
      email_on_retry: false,
      retries: 1,
      retry_delay: { minutes: 5 },
    },
    description: 'A simple tutorial DAG',
    schedule: { days: 1 },
    start_date: '2021-01-01',
    catchup: false,
    tags: ['example'],
    params: { my_param: 'Parameter I passed in' },
  },
  (dag) => {
    // t1, t2 and t3 are examples of tasks created by instantiating operators
    const t1 = new BashOperator({ task_id: 'print_date', bash_command: 'date' });

    const t2 = new BashOperator({
      task_id: 'sleep',
      depends_on_past: false,
      bash_command: 'sleep 5',
      retries: 3,
    });

    t1.doc_md = `\
#### Task Documentation
You can document your task using the attributes \`doc_md\` (markdown),
\`doc\` (plain text), \`doc_rst\`, \`doc_json\`, \`doc_yaml\` which gets
rendered in the UI's Task Instance Details page.
![img](https://imgs.xkcd.com/comics/fixing_problems.png)
**Image Credit:** Randall Munroe, [XKCD](https://xkcd.com/license.html)
`;

    dag.doc_md = 'This is a documentation placed anywhere';

    const templated_command = `
{% for i in range(5) %}
    echo "{{ ds }}"
    echo "{{ macros.ds_add(ds, 7)}}"
    echo "{{ params.my_param }}"
{% endfor %}
`;

    const t3 = new BashOperator({
      task_id: 'templated',
      depends_on_past: false,
      bash_command: templated_command,
    });

    t1.then([t2, t3]);
  },
);

export default dag;

/** Port of Airflow's example_setup_teardown: a setup/teardown pair at the root and one inside a task group. */
import { BashOperator, DAG, TaskGroup } from '@updraft/sdk';

export default new DAG(
  { dag_id: 'example_setup_teardown', schedule: null, start_date: '2021-01-01', catchup: false, tags: ['example'] },
  () => {
    const root_setup = new BashOperator({ task_id: 'root_setup', bash_command: "echo 'Hello from root_setup'" }).as_setup();
    const root_normal = new BashOperator({ task_id: 'normal', bash_command: "echo 'I am just a normal task'" });
    const root_teardown = new BashOperator({ task_id: 'root_teardown', bash_command: "echo 'Goodbye from root_teardown'" }).as_teardown({ setups: root_setup });
    root_setup.then(root_normal).then(root_teardown);

    const section_1 = new TaskGroup({ group_id: 'section_1' }, () => {
      const inner_setup = new BashOperator({ task_id: 'taskgroup_setup', bash_command: "echo 'Hello from taskgroup_setup'" }).as_setup();
      const inner_normal = new BashOperator({ task_id: 'normal', bash_command: "echo 'I am just a normal task'" });
      const inner_teardown = new BashOperator({ task_id: 'taskgroup_teardown', bash_command: "echo 'Hello from taskgroup_teardown'" }).as_teardown({ setups: inner_setup });
      inner_setup.then(inner_normal).then(inner_teardown);
    });
    root_normal.then(section_1);
  },
);

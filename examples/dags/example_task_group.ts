/** Port of Airflow's example_task_group: two sections, the second with a nested group. */
import { BashOperator, DAG, EmptyOperator, TaskGroup } from '@updraft/sdk';

export default new DAG(
  { dag_id: 'example_task_group', schedule: null, start_date: '2021-01-01', catchup: false, tags: ['example'] },
  () => {
    const start = new EmptyOperator({ task_id: 'start' });

    const section_1 = new TaskGroup({ group_id: 'section_1', tooltip: 'Tasks for section_1' }, () => {
      const task_1 = new EmptyOperator({ task_id: 'task_1' });
      const task_2 = new BashOperator({ task_id: 'task_2', bash_command: 'echo 1' });
      const task_3 = new EmptyOperator({ task_id: 'task_3' });
      task_1.then([task_2, task_3]);
    });

    const section_2 = new TaskGroup({ group_id: 'section_2', tooltip: 'Tasks for section_2' }, () => {
      new EmptyOperator({ task_id: 'task_1' });
      new TaskGroup({ group_id: 'inner_section_2', tooltip: 'Tasks for inner_section2' }, () => {
        const task_2 = new BashOperator({ task_id: 'task_2', bash_command: 'echo 1' });
        const task_3 = new EmptyOperator({ task_id: 'task_3' });
        const task_4 = new EmptyOperator({ task_id: 'task_4' });
        [task_2, task_3].forEach((t) => t.then(task_4));
      });
    });

    const end = new EmptyOperator({ task_id: 'end' });
    start.then(section_1).then(section_2).then(end);
  },
);

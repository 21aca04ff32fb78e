/**
 * Port of Airflow's example_xcom: XComs pushed explicitly (ti.xcom_push, also
 * from a bash template), pushed by returning a value, and pulled by TaskFlow
 * arguments, ti.xcom_pull and XComArgs interpolated into a bash command.
 */
import { isDeepStrictEqual } from 'node:util';
import { BashOperator, DAG, XComArg, getCurrentContext, task } from '@updraft/sdk';

const value_1 = [1, 2, 3];
const value_2 = { a: 'b' };

/** Pushes an XCom without a specific target. */
const push = task(async function push() {
  const { ti } = getCurrentContext();
  await ti.xcom_push('value from pusher 1', value_1);
});

/** Pushes an XCom without a specific target, just by returning it. */
const push_by_returning = task(function push_by_returning() {
  return value_2;
});

function compareValues(pulledValue: unknown, checkValue: unknown): void {
  if (!isDeepStrictEqual(pulledValue, checkValue)) {
    throw new Error(`The two values differ ${JSON.stringify(pulledValue)} and ${JSON.stringify(checkValue)}`);
  }
}

/** Pulls all previously pushed XComs and checks that they match the pushed values. */
const puller = task(async function puller(pulled_value_2: { a: string }) {
  const { ti } = getCurrentContext();
  const pulled_value_1 = await ti.xcom_pull({ task_ids: 'push', key: 'value from pusher 1' });
  compareValues(pulled_value_1, value_1);
  compareValues(pulled_value_2, value_2);
});

const pull_value_from_bash_push = task(async function pull_value_from_bash_push() {
  const { ti, log } = getCurrentContext();
  const bash_pushed_via_return_value = await ti.xcom_pull({ key: 'return_value', task_ids: 'bash_push' });
  const bash_manually_pushed_value = await ti.xcom_pull({ key: 'manually_pushed_value', task_ids: 'bash_push' });
  log.info(`The xcom value pushed by task push via return value is ${bash_pushed_via_return_value}`);
  log.info(`The xcom value pushed by task push manually is ${bash_manually_pushed_value}`);
});

export default new DAG(
  {
    dag_id: 'example_xcom',
    schedule: '@once',
    start_date: '2021-01-01',
    catchup: false,
    tags: ['example'],
  },
  () => {
    const bash_push = new BashOperator({
      task_id: 'bash_push',
      bash_command:
        'echo "bash_push demo"  && ' +
        'echo "Manually set xcom value ' +
        '{{ ti.xcom_push(key="manually_pushed_value", value="manually_pushed_value") }}" && ' +
        'echo "value_by_return"',
    });

    // An XComArg in a string renders as the Jinja expression that pulls it.
    const bash_pull = new BashOperator({
      task_id: 'bash_pull',
      bash_command:
        'echo "bash pull demo" && ' +
        `echo "The xcom pushed manually is ${new XComArg(bash_push, 'manually_pushed_value')}" && ` +
        `echo "The returned_value xcom is ${new XComArg(bash_push)}" && ` +
        'echo "finished"',
      do_xcom_push: false,
    });

    const python_pull_from_bash = pull_value_from_bash_push();

    bash_push.then([bash_pull, python_pull_from_bash]);

    push().then(puller(push_by_returning()));
  },
);

/**
 * Port of Airflow's example_sensors: time, deferrable time, bash, file,
 * function and day-of-week sensors; the ones that cannot succeed time out
 * quickly with soft_fail, so they end skipped and the run still succeeds.
 */
import {
  BashOperator,
  BashSensor,
  DAG,
  DayOfWeekSensor,
  FileSensor,
  PythonSensor,
  TimeDeltaSensor,
  TimeDeltaSensorAsync,
  TimeSensor,
  TimeSensorAsync,
} from '@updraft/sdk';

const FILE = '/tmp/temporary_file_for_testing';
const timeOfDay = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString().slice(11, 19);

export default new DAG(
  { dag_id: 'example_sensors', schedule: null, start_date: '2021-01-01', catchup: false, tags: ['example'] },
  () => {
    const t0 = new TimeDeltaSensor({ task_id: 'wait_some_seconds', delta: { seconds: 2 }, poke_interval: 1 });
    const t0a = new TimeDeltaSensorAsync({ task_id: 'wait_some_seconds_async', delta: { seconds: 2 } });
    const t1 = new TimeSensor({ task_id: 'fire_immediately', target_time: timeOfDay(-60_000) });
    const t2 = new TimeSensor({ task_id: 'timeout_after_second_date_in_the_future', timeout: 1, poke_interval: 0.5, soft_fail: true, target_time: timeOfDay(3_600_000) });
    const t2a = new TimeSensorAsync({ task_id: 'fire_immediately_async', target_time: timeOfDay(-60_000) });
    const t3 = new BashSensor({ task_id: 'Sensor_succeeds', bash_command: 'exit 0' });
    const t4 = new BashSensor({ task_id: 'Sensor_fails_after_3_seconds', timeout: 3, poke_interval: 1, soft_fail: true, bash_command: 'exit 1' });
    const t5 = new BashOperator({ task_id: 'remove_file', bash_command: `rm -rf ${FILE}` });
    const t6 = new FileSensor({ task_id: 'wait_for_file', filepath: FILE, poke_interval: 1 });
    const t7 = new FileSensor({ task_id: 'wait_for_file_reschedule', filepath: FILE, mode: 'reschedule', poke_interval: 1 });
    const t8 = new BashOperator({ task_id: 'create_file_after_3_seconds', bash_command: `sleep 3; touch ${FILE}` });
    const t9 = new PythonSensor({ task_id: 'success_sensor_python', python_callable: () => true });
    const t10 = new PythonSensor({ task_id: 'failure_timeout_sensor_python', timeout: 3, poke_interval: 1, soft_fail: true, python_callable: () => false });
    const t11 = new DayOfWeekSensor({
      task_id: 'week_day_sensor_failing_on_timeout',
      timeout: 3,
      poke_interval: 1,
      soft_fail: true,
      // a day that is not today, so it times out like Airflow's example on most days
      week_day: ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'][(new Date().getUTCDay() + 3) % 7],
    });
    const tx = new BashOperator({ task_id: 'print_date_in_bash', bash_command: 'date', trigger_rule: 'none_failed' });

    [t0, t0a, t1, t2, t2a, t3, t4].forEach((t) => t.then(tx));
    t5.then([t6, t7, t8]);
    [t6, t7, t8, t9, t10, t11].forEach((t) => t.then(tx));
  },
);

/**
 * LatestOnlyOperator: lets its downstream tasks run only in the latest
 * scheduled run. A run is the latest when now falls in the data interval of
 * the run that follows it (Airflow: left_window < now <= right_window of
 * next_dagrun_info). Manually triggered runs always proceed, as in Airflow;
 * a zero-length interval (or no next run) counts as latest.
 */
import type { Context } from '../context.ts';
import { BaseBranchOperator } from './branch.ts';

export class LatestOnlyOperator extends BaseBranchOperator {
  chooseBranch(context: Context): string[] {
    const all = this.downstream_task_ids;
    if (context.dag_run.run_type === 'manual') {
      context.log.info('Manually triggered DAG_Run: allowing execution to proceed.');
      return all;
    }
    const next = context.next_data_interval;
    if (!next) {
      context.log.info('Last scheduled execution: allowing execution to proceed.');
      return all;
    }
    const now = new Date();
    context.log.info(`Checking latest only with left_window: ${next.start.toISOString()} right_window: ${next.end.toISOString()} now: ${now.toISOString()}`);
    if (next.start.getTime() === next.end.getTime()) {
      context.log.info('Zero-length interval from timetable; treating current run as latest.');
      return all;
    }
    if (!(next.start < now && now <= next.end)) {
      context.log.info('Not latest execution, skipping downstream.');
      // following nothing skips every direct downstream task
      return [];
    }
    context.log.info('Latest, allowing execution to proceed.');
    return all;
  }
}

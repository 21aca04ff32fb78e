/**
 * Exceptions task code and DAG files raise. Names and meanings are Airflow's so
 * that users' habits carry over: the task runner treats them specially
 * (skip instead of fail, fail without retry).
 */

/** Base class of every Updraft/Airflow error; a task raising it fails (and may retry). */
export class AirflowException extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Raised by a task to end in state "skipped" instead of "failed". */
export class AirflowSkipException extends AirflowException {}

/** Raised by a task to fail immediately, ignoring any remaining retries. */
export class AirflowFailException extends AirflowException {}

/** Something looked up by id (connection, task …) does not exist. */
export class AirflowNotFoundException extends AirflowException {}

/**
 * A problem in a DAG file found while parsing it (cycle, bad schedule …). The
 * message names the file and the DAG so the import-error list is actionable.
 */
export class DagDefinitionError extends AirflowException {
  readonly fileloc: string | null;
  readonly dag_id: string | null;
  readonly problems: string[];

  constructor(
    message: string,
    details: { fileloc?: string | null; dag_id?: string | null; problems?: string[] } = {},
  ) {
    super(message);
    this.fileloc = details.fileloc ?? null;
    this.dag_id = details.dag_id ?? null;
    this.problems = details.problems ?? [message];
  }
}

/** A sensor ran out of its `timeout`: the task fails without using its retries (Airflow's rule). */
export class AirflowSensorTimeout extends AirflowFailException {}

/**
 * Raised by a sensor in mode "reschedule" whose condition is not met yet: the
 * task gives its worker slot back, waits in state up_for_reschedule, and the
 * scheduler starts a new process at `reschedule_date`.
 */
export class AirflowRescheduleException extends AirflowException {
  readonly reschedule_date: Date;

  constructor(reschedule_date: Date) {
    super(`rescheduled to ${reschedule_date.toISOString()}`);
    this.reschedule_date = reschedule_date;
  }
}

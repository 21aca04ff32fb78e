/**
 * Branching (Airflow's BaseBranchOperator and BranchPythonOperator): a task
 * chooses which of its direct downstream tasks to follow; the others are
 * skipped, and trigger rules carry the skip further (a join after the
 * branches needs none_failed_min_one_success, as in Airflow).
 */
import { BaseOperator, type BaseOperatorOptions } from '../baseoperator.ts';
import type { Context } from '../context.ts';
import { branchIds, skipAllExcept } from '../skip.ts';
import { FunctionOperator } from './function.ts';

/** Subclass and implement chooseBranch (Airflow's choose_branch). */
export abstract class BaseBranchOperator extends BaseOperator {
  constructor(options: BaseOperatorOptions) {
    super(options);
  }

  /** A task id, a list of ids, or null / [] to follow none. */
  abstract chooseBranch(context: Context): Promise<string | string[] | null> | string | string[] | null;

  async execute(context: Context): Promise<unknown> {
    const chosen = await this.chooseBranch(context);
    await skipAllExcept(this, branchIds(this, chosen));
    return chosen;
  }
}

/** Runs python_callable and follows the task id(s) it returns. */
export class BranchPythonOperator extends FunctionOperator {
  override async execute(context: Context): Promise<unknown> {
    const chosen = await super.execute(context);
    const ids = branchIds(this, chosen);
    context.log.info(`Branch into ${ids.join(', ') || '(none)'}`);
    await skipAllExcept(this, ids);
    return chosen;
  }
}

/** EmptyOperator: a no-op used to shape the graph; never started as a process. */
import { BaseOperator, type BaseOperatorOptions } from '../baseoperator.ts';

export type EmptyOperatorOptions = BaseOperatorOptions;

export class EmptyOperator extends BaseOperator {
  static template_fields: string[] = [];
  static template_ext: string[] = [];

  override get is_empty(): boolean {
    return true;
  }

  execute(): void {}
}

/**
 * A template field that may hold JSON text after rendering (a .json template
 * file, or "{{ … | tojson }}"): parsed into the value the API wants, as
 * Airflow's operators do with ast.literal_eval.
 */
import { AirflowException } from '@updraft/sdk';

export function jsonField<T>(value: unknown, field: string, task_id: string): T {
  if (typeof value !== 'string') return value as T;
  try {
    return JSON.parse(value) as T;
  } catch (error) {
    throw new AirflowException(`task '${task_id}': ${field} is text that is not JSON after rendering: ${(error as Error).message}`, { cause: error });
  }
}

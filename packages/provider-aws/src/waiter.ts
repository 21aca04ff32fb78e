/**
 * Polls until a resource reaches a state: Airflow's waiters (waiter_delay,
 * waiter_max_attempts) for operators with wait_for_completion. A failure
 * state ends the wait with the service's reason.
 */
import { AirflowException } from '@updraft/sdk';
import { sleep } from './aws-options.ts';

export interface WaitOptions {
  /** what is being waited for, for messages ("EMR step s-123") */
  what: string;
  /** returns the current state and, for failure states, why */
  poll: () => Promise<{ state: string; reason?: string | null }>;
  success: string[];
  failure: string[];
  delay: number;
  max_attempts: number;
  log?: { info(message: string): void };
  signal?: AbortSignal;
}

export async function waitForState(options: WaitOptions): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const { state, reason } = await options.poll();
    options.log?.info(`${options.what}: ${state}`);
    if (options.success.includes(state)) return state;
    if (options.failure.includes(state)) {
      throw new AirflowException(`${options.what} ended in state ${state}${reason ? `: ${reason}` : ''}`);
    }
    if (attempt >= options.max_attempts) {
      throw new AirflowException(`${options.what} is still ${state} after ${attempt} attempts (waiter_max_attempts)`);
    }
    await sleep(options.delay, options.signal);
  }
}

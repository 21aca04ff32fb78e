/** Airflow Variables, read and written through the task runtime (never the database). */
import { AirflowException } from './exceptions.ts';
import { getTaskRuntime } from './runtime.ts';

const NO_DEFAULT: unique symbol = Symbol('no default');

export class Variable {
  /** The stored string; `defaultValue` when missing, else throws like Airflow's KeyError. */
  static get(key: string): Promise<string>;
  static get<T>(key: string, defaultValue: T): Promise<string | T>;
  static async get(key: string, defaultValue: unknown = NO_DEFAULT): Promise<unknown> {
    const value = await getTaskRuntime().getVariable(key);
    if (value !== null) return value;
    if (defaultValue !== NO_DEFAULT) return defaultValue;
    throw new AirflowException(`Variable ${key} does not exist`);
  }

  /** The value parsed as JSON (Airflow's deserialize_json=True). */
  static getJson<T = unknown>(key: string): Promise<T>;
  static getJson<T = unknown, D = T>(key: string, defaultValue: D): Promise<T | D>;
  static async getJson(key: string, defaultValue: unknown = NO_DEFAULT): Promise<unknown> {
    const value = await getTaskRuntime().getVariable(key);
    if (value === null) {
      if (defaultValue !== NO_DEFAULT) return defaultValue;
      throw new AirflowException(`Variable ${key} does not exist`);
    }
    try {
      return JSON.parse(value);
    } catch (error) {
      throw new AirflowException(`Variable ${key} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Stores `value`; anything but a string is JSON-stringified. */
  static async set(key: string, value: unknown, description?: string | null): Promise<void> {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text === undefined) throw new AirflowException(`Variable ${key}: value cannot be stored as JSON`);
    await getTaskRuntime().setVariable(key, text, description);
  }
}

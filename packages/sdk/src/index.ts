/**
 * @updraft/sdk: what DAG authors import. Names follow Airflow so existing
 * knowledge applies; see README-level docs in each module.
 */
export { DAG, dag, type DagOptions, type DefaultArgs, type DagCallback } from './dag.ts';
export { DAG_ACCESS_ACTIONS, type AccessControl } from './access-control.ts';
export { collectDags, resetDagRegistry, getCurrentDag } from './dag-context.ts';
export {
  BaseOperator,
  withDefaultArgs,
  type BaseOperatorOptions,
  type DependencyTarget,
  type TaskCallback,
} from './baseoperator.ts';
export { chain, crossDownstream } from './chain.ts';
export { CronDataIntervalTimetable, CronTriggerTimetable, EventsTimetable, type EventsTimetableOptions, type CronTimetableOptions } from './timetables.ts';
export { Asset, Dataset, AssetAll, AssetAny, assetsIn, conditionMet, type AssetLike, type AssetOptions } from './assets.ts';
export { OperatorPartial, mappedKwargs, elementsOf, MappedArgument, substituteMapped, hasMapped, type ExpandInput, type ExpandSource } from './mapping.ts';
export { TaskGroup, taskGroup, taskGroup as task_group, isTaskGroup, type TaskGroupOptions, type TaskGroupFunction } from './task-group.ts';
export { BashOperator, type BashOperatorOptions } from './operators/bash.ts';
export { EmptyOperator, type EmptyOperatorOptions } from './operators/empty.ts';
export { FunctionOperator, PythonOperator, type FunctionOperatorOptions } from './operators/function.ts';
export { BaseBranchOperator, BranchPythonOperator } from './operators/branch.ts';
export { ShortCircuitOperator, type ShortCircuitOperatorOptions } from './operators/short-circuit.ts';
export { LatestOnlyOperator } from './operators/latest-only.ts';
export { EmailOperator, send_email, send_email as sendEmail, setEmailBackend, emailAddressList, type EmailOperatorOptions, type EmailMessage, type EmailBackend, type SendEmailOptions } from './operators/email.ts';
export {
  task,
  setup,
  teardown,
  _PythonDecoratedOperator,
  _BranchPythonDecoratedOperator,
  _ShortCircuitDecoratedOperator,
  type TaskFunction,
  type TaskOptions,
  type ShortCircuitTaskOptions,
  type TaskArgs,
  type SensorTaskOptions,
} from './taskflow.ts';
export { XComArg, XCOM_RETURN_KEY, resolveXComArgs, setMappedScope, type Resolvable } from './xcomarg.ts';
export { Param, type ParamOptions, type ParamType } from './params.ts';
export {
  AirflowException,
  AirflowSkipException,
  AirflowFailException,
  AirflowNotFoundException,
  DagDefinitionError,
  AirflowSensorTimeout,
  AirflowRescheduleException,
} from './exceptions.ts';
export { BaseSensorOperator, PokeReturnValue, type BaseSensorOptions, type SensorMode, type PokeResult } from './sensors/base.ts';
export { BaseTrigger, TaskDeferred, isFailurePayload, type TriggerEvent, type DeferOptions } from './triggers/base.ts';
export { DateTimeTrigger, TimeDeltaTrigger } from './triggers/temporal.ts';
export { TimeDeltaSensor, TimeDeltaSensorAsync, DateTimeSensor, DateTimeSensorAsync, type TimeDeltaSensorOptions, type DateTimeSensorOptions } from './sensors/time.ts';
export { FileSensor, type FileSensorOptions } from './sensors/file.ts';
export { TimeSensor, TimeSensorAsync, BashSensor, PythonSensor, DayOfWeekSensor, type TimeSensorOptions, type BashSensorOptions, type PythonSensorOptions, type DayOfWeekSensorOptions } from './sensors/misc.ts';
export { ExternalTaskSensor, type ExternalTaskSensorOptions } from './sensors/external-task.ts';
export { TriggerDagRunOperator, type TriggerDagRunOperatorOptions } from './operators/trigger-dagrun.ts';
export { HttpSensor, type HttpSensorOptions } from './sensors/http.ts';
export { _DecoratedSensorOperator, type DecoratedSensorOptions } from './sensors/decorated.ts';
export { Variable } from './variable.ts';
export { Connection, BaseHook } from './connection.ts';
export {
  setCurrentContext,
  getCurrentContext,
  runMoment,
  withCurrentContext,
  type Context,
  type DagRunInfo,
  type DagRunType,
  type TaskInstanceInfo,
  type ContextVariables,
  type ContextConnections,
} from './context.ts';
export { runOperator } from './execution.ts';
export { serializeDag, serializeTask } from './serialize.ts';
export { TRIGGER_RULES, WEIGHT_RULES, type WeightRule } from './trigger-rules.ts';
export { CRON_PRESETS, type ScheduleArg } from './schedule.ts';
export { formatTimedelta, durationToSeconds, type Duration, type DurationSpec } from './duration.ts';
export * from './serialized.ts';
export {
  setTaskRuntime,
  getTaskRuntime,
  type TaskRuntime,
  type TaskLogger,
  type ConnectionInfo,
  type XComPullOptions,
} from './runtime.ts';

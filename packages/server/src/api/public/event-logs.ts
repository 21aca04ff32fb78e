/** /api/v2/eventLogs: the audit log of every change made through the API and the CLI. */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getEventLog, listEventLogs, type EventLogRow } from '../../db/sql/event-log.ts';
import { visibleDags } from '../dag-access.ts';
import { notFound } from '../errors.ts';
import { dateValue, intParam, stringList, Where } from './filters.ts';
import { orderBy, paging } from './pagination.ts';

const ORDER_COLUMNS = { id: 'id', event_log_id: 'id', dttm: 'dttm', when: 'dttm', dag_id: 'dag_id', task_id: 'task_id', run_id: 'run_id', event: 'event', owner: 'owner', logical_date: 'logical_date', map_index: 'map_index', try_number: 'try_number' };

function eventLogResponse(e: EventLogRow) {
  return {
    event_log_id: Number(e.id),
    when: e.dttm.toISOString(),
    dag_id: e.dag_id,
    task_id: e.task_id,
    run_id: e.run_id,
    map_index: e.map_index,
    try_number: e.try_number,
    event: e.event,
    logical_date: e.logical_date?.toISOString() ?? null,
    owner: e.owner,
    extra: e.extra,
    dag_display_name: e.dag_id,
    task_display_name: e.task_id,
  };
}

export function registerEventLogRoutes(app: FastifyInstance, pool: pg.Pool) {
  app.get('/api/v2/eventLogs', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    // a custom role without Audit Logs sees the entries of the DAGs it may read, none of the others
    const w = new Where().visible('dag_id', visibleDags(req));
    for (const column of ['dag_id', 'task_id', 'run_id', 'owner', 'event'] as const) {
      if (q[column] !== undefined) w.add(`${column} = ?`, String(q[column]));
      w.like(column, q[`${column}_pattern`]);
    }
    const mapIndex = intParam(q.map_index, 'map_index');
    if (mapIndex !== undefined) w.add('map_index = ?', mapIndex);
    const tryNumber = intParam(q.try_number, 'try_number');
    if (tryNumber !== undefined) w.add('try_number = ?', tryNumber);
    const excluded = stringList(q.excluded_events, 'excluded_events').flatMap((e) => e.split(','));
    if (excluded.length) w.add('event <> ALL(?::text[])', excluded);
    w.anyOf('event', stringList(q.included_events, 'included_events').flatMap((e) => e.split(',')));
    if (q.before !== undefined) w.add('dttm < ?::timestamptz', dateValue(q.before, 'before'));
    if (q.after !== undefined) w.add('dttm > ?::timestamptz', dateValue(q.after, 'after'));
    const { rows, total } = await listEventLogs(pool, { where: w.sql(), args: w.args, orderBy: orderBy(q.order_by, ORDER_COLUMNS, 'id'), limit, offset });
    return { event_logs: rows.map(eventLogResponse), total_entries: total };
  });

  app.get('/api/v2/eventLogs/:event_log_id', async (req) => {
    const { event_log_id } = req.params as { event_log_id: string };
    const id = intParam(event_log_id, 'event_log_id');
    const row = id === undefined ? null : await getEventLog(pool, id);
    const visible = visibleDags(req);
    if (!row || (visible !== null && !visible.includes(row.dag_id ?? ''))) throw notFound(`The Event Log with id: \`${event_log_id}\` not found`);
    return eventLogResponse(row);
  });
}

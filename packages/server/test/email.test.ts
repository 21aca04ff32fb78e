/**
 * Email end to end: a real standalone sends through a real SMTP server (the
 * smtp-server library on a free loopback port) configured by [smtp] in the
 * installation's updraft.cfg, which task processes read. email_on_retry and
 * email_on_failure alerts, EmailOperator and send_email arrive with the right
 * recipients, subject and body; with the SMTP server gone, tasks end exactly
 * as they would have and the failed send is in the task log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { startStandalone, type TestStandalone, tiStates, waitFor } from './helpers.ts';

interface Received {
  from: string;
  to: string[];
  subject: string;
  headers: string;
  body: string;
}

/** Just enough MIME for what nodemailer sends here: unfolded headers, a quoted-printable or base64 body. */
function parseMessage(raw: string, envelope: { from: string; to: string[] }): Received {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  const subject = /^subject:\s*(.*)$/im.exec(headers)?.[1] ?? '';
  return { ...envelope, subject, headers, body };
}

let s: TestStandalone;
let smtp: SMTPServer;
const inbox: Received[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Points [smtp] of the installation at a port (task processes read updraft.cfg when they send). */
function configureSmtp(port: number) {
  const file = path.join(s.config.home, 'updraft.cfg');
  const kept = fs.readFileSync(file, 'utf8').replace(/\n\[smtp\][^[]*/s, '\n');
  fs.writeFileSync(
    file,
    `${kept}\n[smtp]\nsmtp_host = 127.0.0.1\nsmtp_port = ${port}\nsmtp_starttls = false\nsmtp_mail_from = updraft-alerts@example.com\nsmtp_timeout = 5\nsmtp_retry_limit = 1\n`,
  );
}

function messagesOf(runId: string): Received[] {
  return inbox.filter((m) => m.subject.includes(runId) || m.body.includes(runId));
}

before(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        inbox.push(parseMessage(Buffer.concat(chunks).toString('utf8'), envelope));
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  s = await startStandalone();
  configureSmtp((smtp.server.address() as net.AddressInfo).port);
  s.writeDag(
    'email_dags.ts',
    `import { DAG, PythonOperator, EmailOperator, send_email } from '@updraft/sdk';
     new DAG({ dag_id: 'email_alerts', schedule: null, start_date: '2024-01-01',
               default_args: { email: ['oncall@example.com', 'lead@example.com'] } }, () => {
       new PythonOperator({ task_id: 'flaky', retries: 1, retry_delay: 0,
         python_callable: (ctx) => { throw new Error(ctx.ti.try_number === 1 ? 'first try broke <badly>' : 'second try broke too'); } });
       new PythonOperator({ task_id: 'quiet', email_on_failure: false, python_callable: () => { throw new Error('nobody hears this'); } });
       new PythonOperator({ task_id: 'no_list', email: null, python_callable: () => { throw new Error('no list'); } });
     });
     new DAG({ dag_id: 'email_dag_callback', schedule: null, start_date: '2024-01-01',
               on_failure_callback: (ctx) => send_email(['owner@example.com'], 'DAG ' + ctx.dag.dag_id + ' failed: ' + ctx.run_id,
                 '<p>reason ' + ctx.reason + ', task ' + ctx.task_instance.task_id + '</p>') }, () => {
       new PythonOperator({ task_id: 'breaks', python_callable: () => { throw new Error('broken'); } });
     });
     new DAG({ dag_id: 'email_killed', schedule: null, start_date: '2024-01-01' }, () => {
       new PythonOperator({ task_id: 'dies', email: 'oncall@example.com', python_callable: () => { process.kill(process.pid, 'SIGKILL'); } });
     });
     new DAG({ dag_id: 'email_send', schedule: null, start_date: '2024-01-01', params: { who: 'Ada' } }, () => {
       new EmailOperator({ task_id: 'report', to: 'team@example.com; boss@example.com', cc: 'cc@example.com',
         subject: 'Report for {{ run_id }}', html_content: '<h1>Hello {{ params.who }}</h1><p>{{ ds }}</p>' });
       new PythonOperator({ task_id: 'by_hand', python_callable: async (ctx) => {
         await send_email('dev@example.com', 'By hand ' + ctx.run_id, '<p>sent from code</p>');
       } });
     });`,
  );
  for (const id of ['email_alerts', 'email_send', 'email_killed', 'email_dag_callback']) {
    await s.waitForDag(id);
    await s.api('PATCH', `/api/v2/dags/${id}`, { is_paused: false });
  }
});

after(async () => {
  await s?.close();
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

describe('email', () => {
  test('email_on_retry and email_on_failure send Airflow-like alerts to the task email list', async () => {
    const runId = await s.trigger('email_alerts');
    assert.equal(await s.waitForRun('email_alerts', runId), 'failed');
    assert.deepEqual(await tiStates(s.db, 'email_alerts', runId), { flaky: 'failed', quiet: 'failed', no_list: 'failed' });
    const mail = messagesOf(runId);
    assert.equal(mail.length, 2, `two alerts (retry, failure) and nothing for quiet or no_list: ${mail.map((m) => m.subject).join(' | ')}`);
    const retry = mail.find((m) => m.subject.includes('[up_for_retry]'));
    const failure = mail.find((m) => m.subject.includes('[failed]'));
    assert.ok(retry && failure);
    assert.equal(retry.subject, `Updraft alert: <TaskInstance: email_alerts.flaky ${runId} [up_for_retry]>`);
    assert.equal(failure.subject, `Updraft alert: <TaskInstance: email_alerts.flaky ${runId} [failed]>`);
    for (const m of [retry, failure]) {
      assert.deepEqual(m.to, ['oncall@example.com', 'lead@example.com']);
      assert.equal(m.from, 'updraft-alerts@example.com');
      assert.match(m.body, /\/dags\/email_alerts\/grid\?run_id=/, 'a link to the log in the UI');
    }
    assert.match(retry.body, /Try 1 out of 2/);
    assert.match(retry.body, /first try broke &lt;badly&gt;/, 'the exception, escaped');
    assert.match(failure.body, /Try 2 out of 2/);
    assert.match(failure.body, /second try broke too/);
    const log = fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=email_alerts/run_id=${runId}/task_id=flaky/attempt=2.log`), 'utf8');
    assert.match(log, /Sent failure alert email to oncall@example.com, lead@example.com/);
  });

  test('EmailOperator renders its templated fields and send_email works from task code', async () => {
    const runId = await s.trigger('email_send');
    assert.equal(await s.waitForRun('email_send', runId), 'success');
    const report = inbox.find((m) => m.subject === `Report for ${runId}`);
    assert.ok(report, `the report arrived: ${inbox.map((m) => m.subject).join(' | ')}`);
    assert.deepEqual(report.to.sort(), ['boss@example.com', 'cc@example.com', 'team@example.com']);
    assert.match(report.headers, /^cc: cc@example.com/im);
    assert.match(report.body, /<h1>Hello Ada<\/h1>/);
    const byHand = inbox.find((m) => m.subject === `By hand ${runId}`);
    assert.ok(byHand);
    assert.deepEqual(byHand.to, ['dev@example.com']);
    assert.match(byHand.body, /sent from code/);
    const rendered = await s.api('GET', `/api/v2/dags/email_send/dagRuns/${encodeURIComponent(runId)}/taskInstances/report`);
    assert.equal(rendered.status, 200);
    assert.equal(rendered.body.rendered_fields.subject, `Report for ${runId}`);
  });

  test('a DAG on_failure_callback can send email with send_email', async () => {
    const runId = await s.trigger('email_dag_callback');
    assert.equal(await s.waitForRun('email_dag_callback', runId), 'failed');
    await waitFor(() => inbox.some((m) => m.subject === `DAG email_dag_callback failed: ${runId}`), 20_000, 'the email of the DAG callback');
    const mail = inbox.find((m) => m.subject === `DAG email_dag_callback failed: ${runId}`);
    assert.deepEqual(mail?.to, ['owner@example.com']);
    assert.match(mail?.body ?? '', /reason task_failure, task breaks/);
  });

  test('a try whose process died gets its failure alert from the callback runner', async () => {
    const runId = await s.trigger('email_killed');
    assert.equal(await s.waitForRun('email_killed', runId), 'failed');
    await waitFor(() => messagesOf(runId).length > 0, 20_000, 'the alert of the killed try');
    const [alert] = messagesOf(runId);
    assert.equal(alert.subject, `Updraft alert: <TaskInstance: email_killed.dies ${runId} [failed]>`);
    assert.deepEqual(alert.to, ['oncall@example.com']);
    assert.match(alert.body, /Try 1 out of 1/);
    assert.match(alert.body, /Task process \(try 1\) was killed by SIGKILL without reporting a state/);
  });

  test('with the SMTP server down, alerts fail in the log only: the tries end as they would have', async () => {
    configureSmtp(await freePort());
    const before = inbox.length;
    const runId = await s.trigger('email_alerts');
    assert.equal(await s.waitForRun('email_alerts', runId), 'failed');
    assert.deepEqual(await tiStates(s.db, 'email_alerts', runId), { flaky: 'failed', quiet: 'failed', no_list: 'failed' });
    const tries = await s.db.pool.query('SELECT try_number FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3', ['email_alerts', runId, 'flaky']);
    assert.equal(tries.rows[0].try_number, 2, 'the retry still happened');
    for (const attempt of [1, 2]) {
      const log = fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=email_alerts/run_id=${runId}/task_id=flaky/attempt=${attempt}.log`), 'utf8');
      assert.match(log, /Failed to send email to oncall@example.com, lead@example.com: Sending email .* failed/);
    }
    assert.equal(inbox.length, before);
    // EmailOperator's job is sending: without a server it fails, like Airflow's
    const sendRun = await s.trigger('email_send');
    assert.equal(await s.waitForRun('email_send', sendRun), 'failed');
    assert.deepEqual(await tiStates(s.db, 'email_send', sendRun), { report: 'failed', by_hand: 'failed' });
  });
});

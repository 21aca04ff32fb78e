/**
 * Email over SMTP for the processes that run user code: the task alert of
 * email_on_failure / email_on_retry, and the backend behind the SDK's
 * send_email / EmailOperator.
 *
 * Where the settings come from: the process reads [smtp] from the
 * installation's configuration ($UPDRAFT_HOME/updraft.cfg and UPDRAFT__SMTP__* /
 * AIRFLOW__SMTP__* variables), which task processes receive. That is what
 * Airflow does (the worker sends the alert at the end of the try, with its own
 * airflow.cfg): the process knows the exception, nothing extra crosses the
 * Execution API, and the SMTP password is not handed to every task token that
 * asks; a remote worker configures SMTP like its other settings.
 */
import { emailAddressList, type EmailMessage, setEmailBackend } from '@updraft/sdk';
import os from 'node:os';
import { loadConfig } from '../config/config.ts';
import type { Workload } from '../executors/workload.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  starttls: boolean;
  ssl: boolean;
  user: string;
  password: string;
  mail_from: string;
  timeout_seconds: number;
  retry_limit: number;
}

export function smtpSettings(env: NodeJS.ProcessEnv = process.env): SmtpSettings {
  const config = loadConfig(env);
  return {
    host: config.str('smtp', 'smtp_host'),
    port: config.int('smtp', 'smtp_port'),
    starttls: config.bool('smtp', 'smtp_starttls'),
    ssl: config.bool('smtp', 'smtp_ssl'),
    user: config.str('smtp', 'smtp_user'),
    password: config.str('smtp', 'smtp_password'),
    mail_from: config.str('smtp', 'smtp_mail_from'),
    timeout_seconds: config.float('smtp', 'smtp_timeout'),
    retry_limit: config.int('smtp', 'smtp_retry_limit'),
  };
}

/** Errors worth another attempt: the connection failed, not the message. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'ECONNRESET', 'EDNS'].includes(code);
}

/** Sends one message; retries connection failures smtp_retry_limit times (Airflow's rule), then throws. */
export async function sendSmtp(message: EmailMessage, settings: SmtpSettings = smtpSettings()): Promise<void> {
  // loaded on first use: a task process that sends nothing does not pay for it
  const nodemailer = (await import('nodemailer')).default;
  const ms = settings.timeout_seconds * 1000;
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.ssl,
    requireTLS: settings.starttls && !settings.ssl,
    ignoreTLS: !settings.starttls && !settings.ssl,
    auth: settings.user ? { user: settings.user, pass: settings.password } : undefined,
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
  });
  const mail = {
    from: message.from_email ?? settings.mail_from,
    to: message.to,
    cc: message.cc.length ? message.cc : undefined,
    bcc: message.bcc.length ? message.bcc : undefined,
    subject: message.subject,
    html: message.html_content,
    headers: message.custom_headers,
    encoding: message.mime_charset,
    attachments: message.files.map((file) => ({ path: file })),
  };
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await transport.sendMail(mail);
        return;
      } catch (err) {
        if (attempt >= settings.retry_limit || !isConnectionError(err)) {
          throw new Error(`Sending email to ${message.to.join(', ')} through ${settings.host}:${settings.port} failed: ${(err as Error).message}`, { cause: err });
        }
      }
    }
  } finally {
    transport.close();
  }
}

/** Makes the SDK's send_email / EmailOperator send through [smtp] in this process. */
export function installEmailBackend(): void {
  setEmailBackend((message) => sendSmtp(message));
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export interface TaskAlert {
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  try_number: number;
  max_tries: number;
  /** up_for_retry or failed */
  state: 'up_for_retry' | 'failed';
  exception: string;
  /** where the UI shows this try's log */
  log_url: string;
  hostname: string;
}

/** The alert of a failed try of workload `w` (up_for_retry when it will be retried). */
export function tryAlert(w: Pick<Workload, 'dag_id' | 'task_id' | 'run_id' | 'map_index' | 'try_number' | 'api_url'>, maxTries: number, willRetry: boolean, error: unknown): TaskAlert {
  const query = new URLSearchParams({ run_id: w.run_id, task_id: w.task_id, try: String(w.try_number) });
  if (w.map_index >= 0) query.set('map_index', String(w.map_index));
  return {
    dag_id: w.dag_id,
    task_id: w.task_id,
    run_id: w.run_id,
    map_index: w.map_index,
    try_number: w.try_number,
    max_tries: maxTries,
    state: willRetry ? 'up_for_retry' : 'failed',
    exception: error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error),
    log_url: `${w.api_url.replace(/\/$/, '')}/dags/${encodeURIComponent(w.dag_id)}/grid?${query}`,
    hostname: os.hostname(),
  };
}

/** Airflow's default alert (subject "Airflow alert: <TaskInstance: …>"), named for Updraft. */
export function taskAlertMessage(alert: TaskAlert, to: string[]): EmailMessage {
  const mapped = alert.map_index >= 0 ? ` map_index=${alert.map_index}` : '';
  const ti = `<TaskInstance: ${alert.dag_id}.${alert.task_id} ${alert.run_id}${mapped} [${alert.state}]>`;
  const html = [
    `Try ${alert.try_number} out of ${alert.max_tries + 1}<br>`,
    `Exception:<br><pre>${escapeHtml(alert.exception)}</pre><br>`,
    `Log: <a href="${escapeHtml(alert.log_url)}">Link</a><br>`,
    `Host: ${escapeHtml(alert.hostname)}<br>`,
  ].join('\n');
  return {
    to,
    cc: [],
    bcc: [],
    subject: `Updraft alert: ${ti}`,
    html_content: html,
    files: [],
    from_email: null,
    custom_headers: {},
    mime_charset: 'utf-8',
  };
}

/**
 * Sends the alert of a failed try to the task's `email` list. Never throws:
 * the try's outcome must be reported whatever the SMTP server does, so a
 * failure is only logged (as Airflow logs "Failed to send email").
 */
export async function sendTaskAlert(alert: TaskAlert, email: string | string[] | null, log: { info(m: string): void; error(m: string): void }): Promise<void> {
  const to = emailAddressList(email);
  if (to.length === 0) return;
  try {
    await sendSmtp(taskAlertMessage(alert, to));
    log.info(`Sent ${alert.state === 'failed' ? 'failure' : 'retry'} alert email to ${to.join(', ')}`);
  } catch (err) {
    log.error(`Failed to send email to ${to.join(', ')}: ${(err as Error).message}`);
  }
}

/**
 * Email from DAG code: `send_email(to, subject, html_content)` (Airflow's
 * airflow.utils.email.send_email) and EmailOperator, whose to, subject and
 * html_content are templated. The SDK does not talk SMTP itself: the process
 * that runs the code (a task process, a DAG-callback process) installs the
 * sender with setEmailBackend, configured by the installation's [smtp]
 * settings, the ones email_on_failure uses too.
 */
import { BaseOperator, withDefaultArgs, type BaseOperatorOptions } from '../baseoperator.ts';
import { AirflowException } from '../exceptions.ts';

/** A message as the backend receives it: addresses split into lists. */
export interface EmailMessage {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  html_content: string;
  /** paths of files to attach */
  files: string[];
  /** overrides [smtp] smtp_mail_from */
  from_email: string | null;
  custom_headers: Record<string, string>;
  mime_charset: string;
}

export type EmailBackend = (message: EmailMessage) => Promise<void>;

export interface SendEmailOptions {
  cc?: string | string[] | null;
  bcc?: string | string[] | null;
  files?: string[] | null;
  from_email?: string | null;
  custom_headers?: Record<string, string> | null;
  mime_charset?: string;
}

let backend: EmailBackend | null = null;

/** Installed by the runner of the process (not by DAG code). */
export function setEmailBackend(send: EmailBackend | null): void {
  backend = send;
}

/** Airflow's get_email_address_list: a list, or one string separated by commas or semicolons. */
export function emailAddressList(addresses: string | string[] | null | undefined): string[] {
  if (addresses === null || addresses === undefined) return [];
  const items = typeof addresses === 'string' ? addresses.split(/[,;]/) : addresses.flatMap((a) => String(a).split(/[,;]/));
  return items.map((a) => a.trim()).filter(Boolean);
}

/** Sends one HTML message through the installation's SMTP settings; throws when it cannot. */
export async function send_email(to: string | string[], subject: string, html_content: string, options: SendEmailOptions = {}): Promise<void> {
  const recipients = emailAddressList(to);
  if (recipients.length === 0) throw new AirflowException('send_email: no recipient given (to is empty)');
  if (!backend) throw new AirflowException('send_email: email can only be sent from code Updraft runs (a task or a callback)');
  await backend({
    to: recipients,
    cc: emailAddressList(options.cc),
    bcc: emailAddressList(options.bcc),
    subject: String(subject),
    html_content: String(html_content),
    files: [...(options.files ?? [])],
    from_email: options.from_email ?? null,
    custom_headers: { ...(options.custom_headers ?? {}) },
    mime_charset: options.mime_charset ?? 'utf-8',
  });
}

export interface EmailOperatorOptions extends BaseOperatorOptions, SendEmailOptions {
  /** recipients: a list, or one string separated by commas or semicolons (templated) */
  to: string | string[];
  /** templated */
  subject: string;
  /** the HTML body (templated; a .html file path is rendered as a template) */
  html_content: string;
}

export class EmailOperator extends BaseOperator {
  static template_fields: string[] = ['to', 'subject', 'html_content', 'files'];
  static template_ext: string[] = ['.html'];

  to: string | string[];
  subject: string;
  html_content: string;
  files: string[];
  cc: string | string[] | null;
  bcc: string | string[] | null;
  from_email: string | null;
  custom_headers: Record<string, string> | null;
  mime_charset: string;

  constructor(options: EmailOperatorOptions) {
    const args = withDefaultArgs(options);
    super(args);
    this.to = args.to;
    this.subject = args.subject;
    this.html_content = args.html_content;
    this.files = [...(args.files ?? [])];
    this.cc = args.cc ?? null;
    this.bcc = args.bcc ?? null;
    this.from_email = args.from_email ?? null;
    this.custom_headers = args.custom_headers ?? null;
    this.mime_charset = args.mime_charset ?? 'utf-8';
  }

  override serializeFields(): Record<string, unknown> {
    return { to: this.to, subject: this.subject, html_content: this.html_content, files: this.files, cc: this.cc, bcc: this.bcc };
  }

  async execute(): Promise<void> {
    await send_email(this.to, this.subject, this.html_content, {
      cc: this.cc,
      bcc: this.bcc,
      files: this.files,
      from_email: this.from_email,
      custom_headers: this.custom_headers,
      mime_charset: this.mime_charset,
    });
  }
}

// The SMTP transport: nodemailer, configured from `mail` (host, port, STARTTLS or TLS, AUTH).
// STARTTLS is required when asked for, so a server that does not offer it is refused rather
// than spoken to in clear. Nothing here logs: nodemailer's own logger stays off, since its
// debug output would carry the message, and the message carries a reset link.
import type { Transporter } from 'nodemailer';
import type { MailConfig } from '../config/schema.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export function createMailTransport(config: MailConfig): MailTransport {
  const tls = config.security === 'tls';
  // nodemailer is loaded with the first e-mail, not with every command that builds a bridge.
  let transporter: Promise<Transporter> | undefined;
  const open = () =>
    (transporter ??= import('nodemailer').then((m) =>
      m.default.createTransport({
        host: config.host,
        port: config.port ?? (tls ? 465 : 587),
        secure: tls,
        requireTLS: config.security === 'starttls',
        ignoreTLS: config.security === 'none',
        tls: { rejectUnauthorized: config.tls_reject_unauthorized },
        ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
        connectionTimeout: config.timeout_ms,
        greetingTimeout: config.timeout_ms,
        socketTimeout: config.timeout_ms * 3,
        logger: false,
        debug: false,
      }),
    ));
  return {
    async send(mail) {
      await (await open()).sendMail({
        from: config.from,
        ...(config.reply_to ? { replyTo: config.reply_to } : {}),
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      });
    },
    close() {
      void transporter?.then((t) => t.close());
    },
  };
}

/** What a failed send is called in logs and last_error: the SMTP code, never the message. */
export function describeSendError(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; command?: string; message?: string };
  if (e.responseCode) return `SMTP ${e.responseCode}${e.command ? ` after ${e.command}` : ''}`;
  return e.code ?? 'send failed';
}

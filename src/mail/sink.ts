// An SMTP server that keeps what it receives: the demo's mail sink (its page shows the
// e-mails), and the server the tests send real SMTP conversations to. smtp-server speaks the
// protocol (STARTTLS with its bundled certificate, AUTH PLAIN/LOGIN when asked for);
// mailparser reads each message back into subject, text, HTML and addresses.
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string | undefined;
  replyTo: string | undefined;
  subject: string;
  text: string;
  html: string;
  receivedAt: Date;
  /** Whether the conversation was upgraded with STARTTLS, and the AUTH user, if any. */
  secure: boolean;
  user: string | undefined;
}

export interface SmtpSink {
  readonly port: number;
  readonly received: ReceivedMail[];
  /** Resolves with the first message (received already or to come) that passes `match`. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  port?: number;
  host?: string;
  /** Offer STARTTLS (with smtp-server's own self-signed certificate). Default false. */
  starttls?: boolean;
  /** Require AUTH with this user and password. */
  auth?: { user: string; pass: string };
  /** Keep at most this many messages, the oldest dropped first. Default 200. */
  keep?: number;
}

function addresses(v: ParsedMail['to']): string[] {
  const list = Array.isArray(v) ? v : v ? [v] : [];
  return list.flatMap((a) => a.value.map((x) => x.address ?? '')).filter(Boolean);
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const keep = opts.keep ?? 200;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: [...(opts.starttls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    authOptional: !opts.auth,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass)
        return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (mail) => {
          received.push({
            to: addresses(mail.to),
            from: mail.from?.value[0]?.address,
            replyTo: mail.replyTo?.value[0]?.address,
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            receivedAt: new Date(),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          if (received.length > keep) received.shift();
          for (const w of waiters) w();
          cb();
        },
        (err: Error) => cb(err),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return {
    port,
    received,
    waitFor(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = received.find(match);
          if (!m) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no e-mail matched within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Email notices through the operator's SMTP server (nodemailer). smtp:// upgrades with STARTTLS
// whenever the server offers it (nodemailer's default); CERTPORT_SMTP_REQUIRE_TLS=1 refuses to
// send in the clear; smtps:// is TLS from the first byte. The server's certificate is checked
// against the system CAs plus CERTPORT_SMTP_CA_FILE.
import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpConfig } from '../config/config.js';
import { DeliveryError, type NoticeMessage } from './message.js';

/** Each step of one SMTP session is bounded, so a delivery fits well inside a job's 60 s lease. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000 };

export class EmailSender {
  readonly #transport: Transporter;

  constructor(private readonly c: SmtpConfig) {
    this.#transport = nodemailer.createTransport({
      host: c.host,
      port: c.port,
      secure: c.secure,
      requireTLS: c.requireTls,
      ...(c.user !== null ? { auth: { user: c.user, pass: c.pass ?? '' } } : {}),
      tls: { ...(c.caPem ? { ca: c.caPem } : {}), minVersion: 'TLSv1.2' },
      ...TIMEOUTS,
    });
  }

  /** The server as an operator would recognise it (never the password). */
  get target(): string {
    return `${this.c.secure ? 'smtps' : 'smtp'}://${this.c.host}:${this.c.port}`;
  }

  /** Sends one message to all recipients; resolves with the server's answer, throws DeliveryError. */
  async send(to: string[], m: NoticeMessage): Promise<string> {
    try {
      const info = await this.#transport.sendMail({
        from: this.c.from,
        to,
        subject: m.subject,
        text: `${m.text.trimEnd()}\n\n-- \ncertport notice ${m.id} (${m.kind})${m.certId ? `, certificate ${m.certId}` : ''}, account ${m.accountUin}\n`,
        // The same id on every retry, so a mail system can tell a duplicate.
        messageId: `<${m.id}@certport>`,
        headers: { 'X-Certport-Notice': m.id, 'X-Certport-Kind': m.kind },
      });
      const rejected = (info.rejected ?? []).map(String);
      return `${this.target} accepted ${(info.accepted ?? []).length} recipient(s)${rejected.length ? `, refused ${rejected.join(', ')}` : ''}: ${info.response}`;
    } catch (e) {
      const err = e as Error & { code?: string; response?: string };
      throw new DeliveryError(`email via ${this.target} failed: ${err.response ?? err.message}${err.code ? ` (${err.code})` : ''}`);
    }
  }

  close(): void {
    this.#transport.close();
  }
}

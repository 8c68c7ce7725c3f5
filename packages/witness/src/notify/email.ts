// E-mail notifications over SMTP with nodemailer: one message per event, the summary as subject.
import type { Transporter } from 'nodemailer';
import { createTransport } from 'nodemailer';
import { describeEvent, type WitnessEvent } from './events.js';
import type { EventSink } from './queue.js';

/** One SMTP conversation may take this long. */
export const emailTimeoutMs = 20_000;

export type EmailOptions = {
  /** `smtp://user:pass@host:port` or `smtps://...`. */
  readonly smtp: string;
  readonly from: string;
  readonly to: readonly string[];
  /** Tests pass a transport of their own; otherwise one is made from `smtp`. */
  readonly transport?: Transporter;
};

export function emailBody(event: WitnessEvent): string {
  const lines = [describeEvent(event), ''];
  for (const [key, value] of Object.entries(event)) lines.push(`${key}: ${String(value)}`);
  return `${lines.join('\n')}\n`;
}

export function createEmailSink(options: EmailOptions): EventSink {
  const url = new URL(options.smtp);
  const transport =
    options.transport ??
    createTransport({
      host: url.hostname,
      port: url.port === '' ? (url.protocol === 'smtps:' ? 465 : 587) : Number(url.port),
      secure: url.protocol === 'smtps:',
      ...(url.username === ''
        ? {}
        : {
            auth: {
              user: decodeURIComponent(url.username),
              pass: decodeURIComponent(url.password),
            },
          }),
      connectionTimeout: emailTimeoutMs,
      greetingTimeout: emailTimeoutMs,
      socketTimeout: emailTimeoutMs,
    });
  const host = url.host;
  return {
    name: `email:${host}`,
    deliver: async (event) => {
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        subject: `[cryptoassets witness] ${describeEvent(event)}`,
        text: emailBody(event),
        headers: { 'X-Cryptoassets-Event-Id': event.id },
      });
    },
  };
}

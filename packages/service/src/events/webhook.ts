// The HTTP webhook handler: POSTs the event as JSON, signed; any 2xx answer means delivered.
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import {
  describeError,
  EventDeliveryFailed,
  type EventHandler,
  serializeEvent,
} from './handler.js';
import { eventIdHeader, eventNameHeader, signatureHeader, signBody } from './signature.js';

/** Most bytes of a receiver's answer that are read (to quote it in the failure record). */
export const webhookResponseBytesMax = 2_048;

export type WebhookHandlerOptions = {
  readonly name: string;
  readonly url: string;
  /** Signs each body with HMAC-SHA256 when set. */
  readonly secret?: string | undefined;
  /** The whole request, answer included, must finish within this. */
  readonly timeoutMs: number;
};

export function createWebhookHandler(options: WebhookHandlerOptions): EventHandler {
  const { name, url, secret, timeoutMs } = options;
  const shownUrl = displayUrl(url);
  return {
    name,
    deliver: async (event: CryptoassetsEvent) => {
      const body = serializeEvent(event);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [eventIdHeader]: event.id,
        [eventNameHeader]: event.name,
      };
      if (secret !== undefined) headers[signatureHeader] = signBody(body, secret);
      let response: Response;
      let answer: string;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        answer = await readLimited(response, webhookResponseBytesMax);
      } catch (error) {
        throw new EventDeliveryFailed(name, `POST ${shownUrl}: ${describeError(error)}`, {
          cause: error,
        });
      }
      if (response.status < 200 || response.status > 299)
        throw new EventDeliveryFailed(
          name,
          `POST ${shownUrl} answered ${response.status}${answer ? `: ${answer}` : ''}`,
        );
    },
  };
}

/** Reads at most `bytesMax` of the answer as text and drops the rest. */
async function readLimited(response: Response, bytesMax: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < bytesMax) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, bytesMax).toString('utf8').trim();
}

/** The URL without credentials, query or fragment, for messages. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(bad url)';
  }
}

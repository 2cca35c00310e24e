import { randomUUID } from 'node:crypto';

import type { Logger } from 'pino';

import { maskPhone } from './mask-phone.js';
import { SmsSendError, type SmsMessage, type SmsSender } from './sms.js';

/** Options of {@link createHttpSms}. */
export interface HttpSmsOptions {
  /** The provider endpoint that takes `POST {to, text}` as JSON. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  logger: Logger;
  /** Give up on a request after this long. Default 10 s. */
  timeoutMs?: number;
}

async function readId(res: Response): Promise<string | undefined> {
  try {
    const body: unknown = await res.json();
    if (typeof body === 'object' && body !== null && 'id' in body) {
      const id = (body as { id: unknown }).id;
      if (typeof id === 'string' || typeof id === 'number') return String(id);
    }
  } catch {
    // a provider that answers 2xx with no JSON still took the message
  }
  return undefined;
}

/**
 * Sends text messages by POSTing JSON `{to, text}` to an HTTP provider (or a small
 * bridge in front of one). A 2xx answer means accepted; its JSON `id`, when present,
 * becomes the id, otherwise a random one. Anything else is an {@link SmsSendError} that
 * names the status only. Errors and logs name the provider by origin only, since query
 * strings sometimes carry keys.
 */
export function createHttpSms(opts: HttpSmsOptions): SmsSender {
  let target: string;
  try {
    target = new URL(opts.url).origin;
  } catch {
    // URL's own error repeats the input, which may hold a key: do not chain it
    throw new Error('sms HTTP URL is not a valid URL');
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const inFlight = new Set<AbortController>();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;

  return {
    async send(message: SmsMessage) {
      const closing = new AbortController();
      inFlight.add(closing);
      const timeout = AbortSignal.timeout(timeoutMs);
      let res: Response;
      try {
        res = await fetch(opts.url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ to: message.to, text: message.text }),
          signal: AbortSignal.any([timeout, closing.signal]),
        });
        if (!res.ok) {
          await res.body?.cancel();
          throw new SmsSendError(
            'rejected',
            `SMS provider ${target} answered HTTP ${res.status}`,
            res.status,
          );
        }
        const id = (await readId(res)) ?? randomUUID();
        opts.logger.info({ to: maskPhone(message.to), id, provider: target }, 'sms sent via http');
        return { id };
      } catch (err) {
        if (err instanceof SmsSendError) throw err;
        if (timeout.aborted) {
          throw new SmsSendError(
            'timeout',
            `SMS provider ${target} did not answer within ${timeoutMs} ms`,
            undefined,
            {
              cause: err,
            },
          );
        }
        if (closing.signal.aborted) {
          throw new SmsSendError('connection', 'SMS sender closed while sending', undefined, { cause: err });
        }
        throw new SmsSendError('connection', `could not reach SMS provider ${target}`, undefined, {
          cause: err,
        });
      } finally {
        inFlight.delete(closing);
      }
    },
    async close() {
      for (const c of inFlight) c.abort();
    },
  };
}

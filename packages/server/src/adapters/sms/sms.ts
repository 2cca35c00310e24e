/** One text message to an E.164 phone number. */
export interface SmsMessage {
  to: string;
  text: string;
}

/**
 * The sms port. Implementations: the embedded outbox (one file per message under
 * `<data dir>/outbox/`, a log line naming the file, never its contents) and an HTTP
 * provider that POSTs JSON to a configured URL.
 */
export interface SmsSender {
  send(message: SmsMessage): Promise<{ id: string }>;
  close(): Promise<void>;
}

/** Why a text message could not be handed over. */
export type SmsSendFailure = 'connection' | 'timeout' | 'rejected';

/**
 * A text message the provider did not take. The message names the cause and the HTTP
 * status, never the text (it holds a code) or the provider's response body.
 */
export class SmsSendError extends Error {
  override readonly name = 'SmsSendError';

  constructor(
    readonly reason: SmsSendFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

import { MyChatError } from './errors.js';

/** What the media HTTP requests need from the client. @internal */
export interface MediaHttp {
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** A valid access token (refreshed when close to expiry). */
  token(): Promise<string>;
}

const REASON_BY_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  410: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'MEDIA_TYPE_NOT_ALLOWED',
  422: 'MEDIA_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** A refused media request as a MyChatError: the server's JSON `{reason, message, field}` when it sent one. */
export async function errorFromResponse(res: Response): Promise<MyChatError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { reason?: unknown; message?: unknown; field?: unknown };
    if (typeof body.reason === 'string')
      return new MyChatError(
        typeof body.message === 'string' ? body.message : body.reason,
        body.reason,
        typeof body.field === 'string' ? body.field : undefined,
      );
  } catch {
    // not JSON: the status decides
  }
  const reason = REASON_BY_STATUS[res.status] ?? (res.status >= 500 ? 'UNAVAILABLE' : 'UNKNOWN');
  return new MyChatError(`the server answered ${res.status}`, reason);
}

/** The failure of a fetch that never got an answer: cancelled by the caller, or the network. */
export function fetchFailure(err: unknown, signal: AbortSignal | undefined): MyChatError {
  if (signal?.aborted) return cancelled(err);
  return new MyChatError('the server could not be reached', 'NETWORK', undefined, undefined, { cause: err });
}

export const cancelled = (cause?: unknown) =>
  new MyChatError('the upload was cancelled', 'CANCELLED', undefined, undefined, { cause });

import { fromBinary, fromJsonString, type DescMessage } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { common } from '@mychat/protocol';
import { create } from '@bufbuild/protobuf';
import { createAsyncIterable, readAllBytes, type UniversalHandler } from '@connectrpc/connect/protocol';
import { codeToHttpStatus, errorToJsonBytes } from '@connectrpc/connect/protocol-connect';
import type { Logger } from 'pino';
import { AppError, ErrorCode, reasonOf, toConnectError } from '../kernel/errors.js';

/** The stable code given to an error that arrives without one, by its status. */
const CODE_OF_STATUS: Partial<Record<Code, ErrorCode>> = {
  [Code.Unavailable]: ErrorCode.UNAVAILABLE,
  [Code.DeadlineExceeded]: ErrorCode.DEADLINE_EXCEEDED,
  [Code.Unauthenticated]: ErrorCode.UNAUTHENTICATED,
  [Code.PermissionDenied]: ErrorCode.PERMISSION_DENIED,
  [Code.NotFound]: ErrorCode.NOT_FOUND,
  [Code.InvalidArgument]: ErrorCode.INVALID_ARGUMENT,
};

/**
 * What a client may see of an error. Errors with a stable code pass as they are; anything
 * else (a peer unreachable, a transport failure) keeps its status but not its message,
 * which may name internal hosts, and gets the ErrorInfo its status implies (INTERNAL when
 * none fits), so a client always has a reason to switch on.
 */
export function forClient(ce: ConnectError): ConnectError {
  if (ce.findDetails(common.ErrorInfoSchema).length > 0) return ce;
  const code = ce.code === Code.Unknown ? Code.Internal : ce.code;
  const stable = CODE_OF_STATUS[code] ?? ErrorCode.INTERNAL;
  const info = create(common.ErrorInfoSchema, { code: stable, reason: reasonOf(stable) });
  return new ConnectError(
    code === Code.Unavailable ? 'service temporarily unavailable' : Code[code].toLowerCase(),
    code,
    undefined,
    [{ desc: common.ErrorInfoSchema, value: info }],
  );
}

/** Set by the edge's interceptor: the request was read and decoded, so Connect never refused it. */
export interface Reached {
  reached: boolean;
}

/**
 * Wraps a Connect handler of the public edge so that a request Connect refuses before any of
 * our code runs still answers with a stable code (ErrorInfo) and the request id, like every
 * other error:
 *
 * - a body over `maxBodyBytes` is PAYLOAD_TOO_LARGE (400, not Connect's resource_exhausted,
 *   which reads as rate limiting and makes a client retry a paste that can never fit);
 * - a body that is not the method's request (bad JSON, wrong JSON types, undecodable
 *   protobuf, which Connect answers as a 500) is MALFORMED_REQUEST (400).
 *
 * The body is read here, with the limit, and handed to Connect as bytes; Connect then
 * decodes it once as usual. Only a refused request is decoded a second time, to tell why.
 */
export function withEdgeErrors(
  handler: UniversalHandler,
  o: {
    maxBodyBytes: number;
    logger: Logger;
    state: (req: Parameters<UniversalHandler>[0]) => { reached: Reached; requestId: string };
  },
): UniversalHandler {
  const input = handler.method.input;
  const wrapped = async (req: Parameters<UniversalHandler>[0]) => {
    // gRPC and gRPC-Web carry errors in trailers, in their own shape: Connect answers them.
    if (!CONNECT_UNARY.test(req.header.get('content-type') ?? '')) return handler(req);
    const { reached, requestId } = o.state(req);
    let body: Uint8Array;
    try {
      body = await readAllBytes(
        req.body as AsyncIterable<Uint8Array>,
        o.maxBodyBytes,
        req.header.get('content-length'),
      );
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.ResourceExhausted) {
        return refusal(
          new AppError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            `a request body is at most ${o.maxBodyBytes} bytes; this one is larger`,
          ),
          requestId,
        );
      }
      throw err; // the client went away mid-body: nobody to answer
    }
    const res = await handler({ ...req, body: createAsyncIterable([body]) });
    if (res.status === 200 || reached.reached) return res;
    if (res.status === 429) {
      // Connect's only refusal of this kind before our code runs: a compressed body that
      // inflates past the limit.
      return refusal(
        new AppError(
          ErrorCode.PAYLOAD_TOO_LARGE,
          `a request body is at most ${o.maxBodyBytes} bytes once inflated`,
        ),
        requestId,
      );
    }
    const why = undecodable(input, req.header.get('content-type') ?? '', body);
    if (why !== undefined) {
      // Not `why`: it may quote the body (a password in a mistyped field).
      o.logger.debug({ request_id: requestId, rpc: handler.method.name }, 'malformed request');
      return refusal(new AppError(ErrorCode.MALFORMED_REQUEST, why), requestId);
    }
    // Refused by Connect for another reason (a bad timeout or protocol header, an
    // unsupported compression): the same status, with a stable code.
    return refusal(
      new AppError(ErrorCode.INVALID_ARGUMENT, 'the request headers are not valid Connect'),
      requestId,
    );
  };
  return Object.assign(wrapped, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

/** The content types of Connect's unary protocol, the one whose errors are shaped here. */
const CONNECT_UNARY = /^application\/(json|proto|protobuf)\b/i;

/** Why `body` is not a `desc` in the request's encoding, for the client; undefined if it is. */
function undecodable(desc: DescMessage, contentType: string, body: Uint8Array): string | undefined {
  const binary = /^application\/(proto|protobuf)\b/i.test(contentType);
  try {
    if (binary) fromBinary(desc, body);
    else fromJsonString(desc, new TextDecoder('utf-8', { fatal: true }).decode(body));
    return undefined;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return `the body is not a valid ${binary ? 'protobuf' : 'JSON'} ${desc.name}: ${detail}`.slice(0, 300);
  }
}

function refusal(err: AppError, requestId: string) {
  const ce = toConnectError(err);
  return {
    status: codeToHttpStatus(ce.code),
    header: new Headers({ 'content-type': 'application/json', 'x-request-id': requestId }),
    body: createAsyncIterable([errorToJsonBytes(ce, {})]),
  };
}

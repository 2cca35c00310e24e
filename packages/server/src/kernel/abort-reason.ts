/**
 * `AbortController.abort()` without a reason makes Node build `new DOMException('This operation
 * was aborted', 'AbortError')`, capturing a stack trace, even when the signal is already
 * aborted (the default parameter is evaluated first). Connect aborts every handled call's
 * context signal that way when the call ends, and the request's signal again when the HTTP/1
 * response closes: two stack traces per call that nobody reads, about 2-4 % of the server's CPU
 * under the moments benchmark. The implementation only sees a copy of Connect's context, so
 * this cannot be avoided at the edge; instead the reason-less abort is made cheap here, for the
 * whole process: the same AbortError (name, message, `instanceof DOMException`), built without
 * a stack trace, and nothing at all for a signal that is already aborted (as before: its
 * reason stays the first one). A reason given explicitly is passed on unchanged.
 */
const patched: unique symbol = Symbol('mychat.cheapAbort');

export function cheapenReasonlessAborts(): void {
  const proto = AbortController.prototype as AbortController & { [patched]?: true };
  if (proto[patched]) return;
  const abort = proto.abort;
  Object.defineProperty(proto, 'abort', {
    configurable: true,
    writable: true,
    value: function (this: AbortController, reason?: unknown): void {
      if (reason !== undefined) return abort.call(this, reason);
      if (this.signal.aborted) return;
      abort.call(this, abortErrorWithoutStack());
    },
  });
  proto[patched] = true;
}

function abortErrorWithoutStack(): DOMException {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new DOMException('This operation was aborted', 'AbortError');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

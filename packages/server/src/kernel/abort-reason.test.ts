import { describe, expect, it } from 'vitest';
import { cheapenReasonlessAborts } from './abort-reason.js';

describe('reason-less aborts', () => {
  it('still abort with an AbortError DOMException, built without a stack trace', () => {
    cheapenReasonlessAborts();
    cheapenReasonlessAborts(); // twice: installed once
    const c = new AbortController();
    let seen: unknown;
    c.signal.addEventListener('abort', () => (seen = c.signal.reason));
    c.abort();
    expect(c.signal.aborted).toBe(true);
    expect(seen).toBe(c.signal.reason);
    expect(c.signal.reason).toBeInstanceOf(DOMException);
    expect(c.signal.reason).toMatchObject({ name: 'AbortError', message: 'This operation was aborted' });
    expect((c.signal.reason as Error).stack?.split('\n')).toHaveLength(1);
    expect(() => c.signal.throwIfAborted()).toThrow('This operation was aborted');
  });

  it('keeps the first reason of an aborted signal, and passes a given reason on unchanged', () => {
    cheapenReasonlessAborts();
    const c = new AbortController();
    const why = new Error('deadline');
    c.abort(why);
    c.abort();
    expect(c.signal.reason).toBe(why);
    const linked = AbortSignal.any([c.signal]);
    expect(linked.reason).toBe(why);
    const d = new AbortController();
    d.abort();
    const first = d.signal.reason as unknown;
    d.abort();
    d.abort('later');
    expect(d.signal.reason).toBe(first);
  });
});

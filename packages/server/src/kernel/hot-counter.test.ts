import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter } from './hot-counter.js';

describe('HotCounter', () => {
  it('exports what was added when the registry is read, and keeps counting after', async () => {
    const registry = new Registry();
    const plain = new HotCounter({ name: 'hot_plain_total', help: 'h', registers: [registry] });
    const typed = new HotCounter({
      name: 'hot_typed_total',
      help: 'h',
      labelNames: ['type'],
      registers: [registry],
    });
    plain.inc();
    plain.inc(4);
    typed.incBy('send');
    typed.incBy('send', 2);
    typed.incBy('read');
    let text = await registry.metrics();
    expect(text).toContain('hot_plain_total 5');
    expect(text).toContain('hot_typed_total{type="send"} 3');
    expect(text).toContain('hot_typed_total{type="read"} 1');
    plain.inc();
    typed.incBy('read', 10);
    text = await registry.metrics();
    expect(text).toContain('hot_plain_total 6');
    expect(text).toContain('hot_typed_total{type="send"} 3');
    expect(text).toContain('hot_typed_total{type="read"} 11');
  });

  it('refuses more than one label', () => {
    expect(
      () => new HotCounter({ name: 'hot_two_total', help: 'h', labelNames: ['a', 'b'], registers: [] }),
    ).toThrow('at most one label');
  });
});

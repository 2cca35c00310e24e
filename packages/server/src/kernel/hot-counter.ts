import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

/**
 * A Prometheus counter for the paths every message takes. prom-client hashes and checks the
 * labels on every `inc`, through a `labels()` child too, and stamps the time: several of
 * those per message added up to about a percent of a busy server. This one adds to plain
 * numbers and hands them to prom-client when the registry is read (a scrape), so what is
 * exported is the same. No label, or one (`incBy(value)`).
 */
export class HotCounter<L extends string = never> {
  readonly counter: Counter<L>;
  private total = 0;
  private readonly byValue = new Map<string, number>();
  private readonly label: L | undefined;

  constructor(cfg: Omit<CounterConfiguration<L>, 'collect'>) {
    const labels = cfg.labelNames ?? [];
    if (labels.length > 1) throw new Error(`HotCounter ${cfg.name}: at most one label`);
    this.label = labels[0];
    const flush = () => this.flush();
    this.counter = new Counter<L>({
      ...cfg,
      collect() {
        flush();
      },
    });
  }

  /** Adds `n` (a counter without labels). */
  inc(n = 1): void {
    this.total += n;
  }

  /** Adds `n` for the label value `value` (a counter with one label). */
  incBy(value: string, n = 1): void {
    this.byValue.set(value, (this.byValue.get(value) ?? 0) + n);
  }

  private flush(): void {
    if (this.total) {
      this.counter.inc(this.total);
      this.total = 0;
    }
    if (this.label === undefined) return;
    for (const [value, n] of this.byValue) this.counter.inc({ [this.label]: value } as LabelValues<L>, n);
    this.byValue.clear();
  }
}

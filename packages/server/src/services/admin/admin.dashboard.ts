import type { Registry } from 'prom-client';

interface Sample {
  at: number;
  sent: number;
}

/** Sums a metric's values (optionally those with one label value) in this process's registry. */
async function metricSum(registry: Registry, name: string, label?: [string, string]): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => !label || v.labels[label[0]] === label[1]).reduce((sum, v) => sum + v.value, 0);
}

/**
 * The dashboard's live numbers from the Prometheus registry the server already keeps: open
 * sockets (mychat_ws_connections, state=open) and messages per second (the rate of
 * mychat_messages_sent_total over the last minute, sampled every few seconds). In a split
 * deployment these are the numbers of the process that runs the admin service; Grafana has
 * the cluster's.
 */
export class DashboardMetrics {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
    private readonly everyMs = 5_000,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async read(): Promise<{ online: number; perSecond: number; sent: number }> {
    const last = await this.sample();
    const first = this.samples[0]!;
    const seconds = (last.at - first.at) / 1000;
    return {
      online: await metricSum(this.registry, 'mychat_ws_connections', ['state', 'open']),
      perSecond: seconds > 0 ? (last.sent - first.sent) / seconds : 0,
      sent: last.sent,
    };
  }

  private async sample(): Promise<Sample> {
    const s = { at: this.now(), sent: await metricSum(this.registry, 'mychat_messages_sent_total') };
    this.samples.push(s);
    while (this.samples.length > 2 && s.at - this.samples[1]!.at >= this.windowMs) this.samples.shift();
    return s;
  }
}

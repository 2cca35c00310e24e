import { describe, expect, it } from 'vitest';
import { histogramBuckets, sharesOver } from './histogram-scrape.js';

const text = (a: number[], b: number[]) => `# HELP mychat_gateway_rpc_duration_seconds x
# TYPE mychat_gateway_rpc_duration_seconds histogram
mychat_gateway_rpc_duration_seconds_bucket{le="0.01",method="S/A"} ${a[0]}
mychat_gateway_rpc_duration_seconds_bucket{le="0.025",method="S/A"} ${a[1]}
mychat_gateway_rpc_duration_seconds_bucket{le="+Inf",method="S/A"} ${a[2]}
mychat_gateway_rpc_duration_seconds_sum{method="S/A"} 1.5
mychat_gateway_rpc_duration_seconds_bucket{le="0.01",method="S/B"} ${b[0]}
mychat_gateway_rpc_duration_seconds_bucket{le="0.025",method="S/B"} ${b[1]}
mychat_gateway_rpc_duration_seconds_bucket{le="+Inf",method="S/B"} ${b[2]}
mychat_gateway_rpc_duration_seconds_bucket{le="0.01",method="Other/C"} 99
mychat_gateway_rpc_duration_seconds_bucket{le="+Inf",method="Other/C"} 500
`;

describe('histogram scrape', () => {
  const ours = (labels: string) => labels.includes('method="S/');

  it('sums the matching series per bucket and ignores the others', () => {
    const b = histogramBuckets(text([10, 15, 20], [1, 2, 4]), 'mychat_gateway_rpc_duration_seconds', ours);
    expect([...b]).toEqual([
      [0.01, 11],
      [0.025, 17],
      [Infinity, 24],
    ]);
  });

  it('gives the share over each bound between two readings', () => {
    const name = 'mychat_gateway_rpc_duration_seconds';
    const before = histogramBuckets(text([10, 15, 20], [0, 0, 0]), name, ours);
    // 100 more: 90 within 10 ms, 8 more within 25 ms, 2 over.
    const after = histogramBuckets(text([100, 113, 120], [0, 0, 0]), name, ours);
    expect(sharesOver(before, after)).toEqual({ n: 100, over: { '10ms': 0.1, '25ms': 0.02 } });
  });

  it('reads nothing from a text without the histogram, and no share from no observations', () => {
    const none = histogramBuckets('garbage\n{}\n', 'mychat_gateway_rpc_duration_seconds', ours);
    expect(none.size).toBe(0);
    expect(sharesOver(none, none)).toEqual({ n: 0, over: {} });
  });
});

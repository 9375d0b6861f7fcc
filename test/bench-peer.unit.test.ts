import { renderMarkdown, type BenchResults, type Step } from '../bench/report';
import { HOPS, TraceCollector } from '../bench/trace-collector';

const p = (p50: number, p99: number) => ({ p50, p95: p99, p99, count: 100 });
const step = (target: Step['target'], mode: Step['mode'], offeredPerSec: number | null, extra: Partial<Step> = {}): Step => ({
  target,
  mode,
  offeredPerSec,
  seconds: 10,
  sentPerSec: offeredPerSec ?? 300,
  deliveredPerSec: 1000,
  sendMs: p(10, 40),
  deliveryMs: p(20, 80),
  errors: 0,
  ...extra,
});

function results(steps: Step[]): BenchResults {
  return {
    startedAt: '2026-12-02T00:00:00.000Z',
    machine: { cpus: 2, model: 'test', memGiB: 24, node: 'v20', os: 'Linux' },
    load: { rooms: 100, subscribers: 1000, senders: 50, stepSeconds: 10, note: '' },
    steps,
    idleSubscriptions: null,
    history: null,
    targets: [],
  };
}

describe('bench report: the peer', () => {
  it('shows CPU per chat per process and service ÷ peer ratios for each step both ran', () => {
    const md = renderMarkdown(
      results([
        step('service', 'open', 100, { sendMs: p(20, 80), cpuMsPerChat: { gateway: 2, worker: 1, broker: 1, postgres: 1 }, loadAverage: 3.5 }),
        step('peer', 'open', 100, { cpuMsPerChat: { 'peer server': 2, redis: 0.5, postgres: 0.5 } }),
        step('service', 'closed', null),
        step('memory', 'closed', null),
      ]),
      'bench/results/latest.svg',
    );
    expect(md).toContain('5.0 (gateway 2.0, worker 1.0, broker 1.0, postgres 1.0) | 3.5 |');
    expect(md).toContain('- Service ÷ peer, open 100/s: sendChat p50 2.00×, p99 2.00×; delivery p50 1.00×, p99 1.00×; sendChat/s 1.00×; CPU per chat 1.67×');
  });

  it('draws the per-hop breakdown of traced service steps', () => {
    const hopsMs = Object.fromEntries(HOPS.map((hop, i) => [hop, p(i + 1, 10 * (i + 1))]));
    const md = renderMarkdown(results([step('service', 'open', 100, { hopsMs })]), 'bench/results/latest.svg');
    expect(md).toContain("### Where a chat's time goes (service, traced)");
    expect(md).toContain('| worker took it → transaction committed | 3.0 / 30.0 |');
  });
});

describe('trace collector', () => {
  it('turns a chat trace of OTLP JSON spans into hops', async () => {
    const collector = new TraceCollector();
    await collector.start();
    try {
      const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
      const span = (name: string, start: number, end: number, events: Record<string, number> = {}) => ({
        traceId: 'abc',
        name,
        startTimeUnixNano: ns(start),
        endTimeUnixNano: ns(end),
        events: Object.entries(events).map(([n, t]) => ({ name: n, timeUnixNano: ns(t) })),
      });
      const body = {
        resourceSpans: [
          { scopeSpans: [{ spans: [span('command SendChat', 1000, 1030, { produced: 1002 })] }] },
          { scopeSpans: [{ spans: [span('apply SendChat', 1007, 1020, { committed: 1015, produced: 1020 }), span('deliver message', 1024, 1024)] }] },
        ],
      };
      const res = await fetch(`${collector.endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      const hops = collector.hops(0, 2000)!;
      expect(HOPS.map((hop) => hops[hop].p50)).toEqual([2, 5, 8, 5, 10, 4]);
      expect(collector.hops(2000, 3000)).toBeUndefined();
    } finally {
      await collector.stop();
    }
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { percentiles, renderChart, renderMarkdown, writeReport, type BenchResults, type Percentiles, type Step } from '../bench/report';

const p = (p50: number, p95: number, p99: number): Percentiles => ({ p50, p95, p99, count: 1000 });
const open = (target: Step['target'], offered: number, delivery: Percentiles, send: Percentiles | null): Step => ({
  target, mode: 'open', offeredPerSec: offered, seconds: 10, sentPerSec: offered, deliveredPerSec: offered * 10,
  sendMs: send, deliveryMs: delivery, errors: 0,
});
const closed = (target: Step['target'], sent: number): Step => ({
  target, mode: 'closed', offeredPerSec: null, seconds: 10, sentPerSec: sent, deliveredPerSec: sent * 10,
  sendMs: target === 'kafka' ? null : p(5, 9, 12), deliveryMs: p(6, 10, 14), errors: 1,
});

function results(steps: Step[]): BenchResults {
  return {
    startedAt: '2025-01-02T03:04:05.678Z',
    machine: { cpus: 8, model: 'Xeon <R> & Co', memGiB: 16, node: 'v20.19.0', os: 'linux 6.1' },
    load: { rooms: 10, subscribers: 100, senders: 10, stepSeconds: 10, note: 'one gateway, one worker' },
    steps,
    idleSubscriptions: { count: 10000, rssBeforeMB: 100, rssAfterMB: 150, kbPerSubscription: 5.12 },
    history: { storedMessages: 100000, requests: 500, ms: p(3, 7, 11) },
    targets: [{ name: 'delivery p99 at 1000/s', target: '≤ 50 ms', measured: '80 ms', met: false, note: 'a | b' }],
  };
}

const full = results([
  open('service', 500, p(10, 30, 40), p(8, 20, 30)),
  open('service', 1000, p(20, 60, 80), p(15, 40, 60)),
  open('memory', 500, p(1, 2, 3), p(1, 2, 3)),
  open('memory', 1000, p(2, 3, 4), p(1, 2, 3)),
  open('kafka', 500, p(1, 3, 4), null),
  open('kafka', 1000, p(2, 6, 8), null),
  open('kafka', 2000, p(3, 7, 9), null),   // no service step at 2000: the ratio must use 1000
  closed('service', 2000),
  closed('memory', 4000),
]);

/** Balanced tags and no bare "<" or "&" in text: enough of XML to catch a broken chart. */
function expectXmlish(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(svg); m; m = tag.exec(svg)) {
    const text = svg.slice(last, m.index);
    expect(text).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
    last = tag.lastIndex;
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[4]) stack.push(m[2]);
  }
  expect(svg.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
}

test('percentiles are nearest-rank, rounded to 0.1 ms, on a copy', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
  expect(percentiles(samples)).toEqual({ p50: 50, p95: 95, p99: 99, count: 100 });
  expect(samples[0]).toBe(100);
  expect(percentiles([])).toEqual({ p50: 0, p95: 0, p99: 0, count: 0 });
  expect(percentiles([1.234])).toEqual({ p50: 1.2, p95: 1.2, p99: 1.2, count: 1 });
});

test('the chart is well-formed SVG with one polyline per plotted series and escaped text', () => {
  const svg = renderChart(full);
  expect(svg.startsWith('<svg')).toBe(true);
  expectXmlish(svg);
  // service delivery p50/p99, sendChat p50/p99, and the dashed in-memory p99; kafka is not plotted
  expect(svg.match(/<polyline/g)).toHaveLength(5);
  expect(svg.match(/<polyline[^>]*stroke-dasharray/g)).toHaveLength(1);
  expect(svg).toContain('Latency against offered load');
  expect(svg).toContain('target p99 ≤ 50 ms');
  expect(svg).toContain('Xeon &lt;R&gt; &amp; Co');
  expect(svg).not.toContain('<R>');
  expect(svg).not.toMatch(/<script|@import|href=/);

  const noMemory = renderChart(results(full.steps.filter((s) => s.target !== 'memory')));
  expect(noMemory.match(/<polyline/g)).toHaveLength(4);
  const empty = renderChart(results([]));
  expectXmlish(empty);
  expect(empty).not.toContain('<polyline');
});

test('the markdown has the steps, the ratios, the side figures and the chart', () => {
  const md = renderMarkdown(full, 'bench/results/latest.svg');
  expect(md.startsWith('## Latest run\n')).toBe(true);
  expect(md).toContain('8 CPUs, 16 GiB');
  expect(md).toContain('Load: 10 rooms, 100 subscribers, 10 senders, 10 s per step. one gateway, one worker');
  expect(md).toContain('| service | open | 500 | 500 | 5000 | 8.0 | 20.0 | 30.0 | 10.0 | 30.0 | 40.0 | 0 |');
  expect(md).toContain('| kafka | open | 1000 | 1000 | 10000 | — | — | — | 2.0 | 6.0 | 8.0 | 0 |');
  expect(md).toContain('| service | closed | — | 2000 |');
  expect(md).toContain('service ÷ in-memory: 2000 ÷ 4000 = 50 %');
  expect(md).toContain('at 1000 msg/s offered, service ÷ raw Kafka: p50 20.0 ÷ 2.0 ms = 10.0×, p99 80.0 ÷ 8.0 ms = 10.0×');
  expect(md).toContain('5.1 KB per subscription');
  expect(md).toContain('p50 / p95 / p99 3.0 / 7.0 / 11.0 ms over 500 requests, 100000 messages stored');
  expect(md).toContain('| delivery p99 at 1000/s | ≤ 50 ms | 80 ms | ✗ | a \\| b |');
  expect(md).toContain('![Latency against offered load](bench/results/latest.svg)');

  const serviceOnly = renderMarkdown({ ...results(full.steps.filter((s) => s.target === 'service')),
    idleSubscriptions: null, history: null }, 'bench/results/latest.svg');
  expect(serviceOnly).toContain('service ÷ in-memory: not measured (no closed-loop memory step)');
  expect(serviceOnly).toContain('service ÷ raw Kafka: not measured');
  expect(serviceOnly).not.toContain('Idle subscriptions');
  expect(serviceOnly).not.toContain('History');
});

describe('writeReport', () => {
  let root: string;
  beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-')); });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('writes the JSON, the charts and one BENCHMARKS.md section, however often it runs', () => {
    const first = writeReport(full, root);
    const second = writeReport(full, root);
    expect(second).toEqual(first);
    expect(first.jsonPath).toBe(path.join(root, 'bench/results/2025-01-02T03-04-05-678Z.json'));
    expect(first.chartPath).toBe(path.join(root, 'bench/results/latest.svg'));
    expect(JSON.parse(fs.readFileSync(first.jsonPath, 'utf8'))).toEqual(full);
    expect(fs.readFileSync(first.chartPath, 'utf8')).toBe(renderChart(full));
    expect(fs.readFileSync(path.join(root, 'bench/results/2025-01-02T03-04-05-678Z.svg'), 'utf8')).toBe(renderChart(full));

    const doc = fs.readFileSync(path.join(root, 'BENCHMARKS.md'), 'utf8');
    expect(doc).toMatch(/^# Benchmarks\n/);
    expect(doc).toContain('npm run bench');
    expect(doc.match(/## Latest run/g)).toHaveLength(1);
    expect(doc.match(/<!-- bench:begin -->/g)).toHaveLength(2);  // once in the header's prose, once as the marker
    expect(doc).toContain('](bench/results/latest.svg)');
  });

  test('keeps what is around the markers, and appends them when missing', () => {
    const mdPath = path.join(root, 'BENCHMARKS.md');
    fs.writeFileSync(mdPath, '# Mine\n\nintro $& $1\n');
    writeReport(full, root);
    writeReport(results([]), root);
    const doc = fs.readFileSync(mdPath, 'utf8');
    expect(doc.startsWith('# Mine\n\nintro $& $1\n\n<!-- bench:begin -->\n## Latest run\n')).toBe(true);
    expect(doc.endsWith('<!-- bench:end -->\n')).toBe(true);
    expect(doc.match(/## Latest run/g)).toHaveLength(1);

    fs.writeFileSync(mdPath, 'before\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n');
    writeReport(full, root);
    const replaced = fs.readFileSync(mdPath, 'utf8');
    expect(replaced).toMatch(/^before\n<!-- bench:begin -->\n## Latest run\n[^]*\n<!-- bench:end -->\nafter\n$/);
    expect(replaced).not.toContain('\nold\n');
  });
});

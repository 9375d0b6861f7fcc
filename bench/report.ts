/**
 * Turns one benchmark results object into the files a reader looks at:
 * bench/results/<stamp>.json (raw numbers), an SVG chart of latency against
 * offered load, and the figures section of BENCHMARKS.md. No measuring here.
 */
import * as fs from 'node:fs';
import type { LifecycleResults } from './message-lifecycle';
import * as path from 'node:path';

export interface Percentiles { p50: number; p95: number; p99: number; count: number }
export interface Step {
  target: 'service' | 'memory' | 'kafka' | 'peer'; // the real service; the GraphQL-only in-memory ceiling; raw kafkajs produce→consume; the conventional peer (bench/peer-server.ts)
  mode: 'open' | 'closed' | 'sequential';   // open loop at offeredPerSec; closed loop = as fast as the senders go; sequential = one sender, closed loop
  offeredPerSec: number | null;             // null for closed loop
  seconds: number;
  sentPerSec: number;                       // acknowledged sendChat (or produced records for kafka) per second
  deliveredPerSec: number;                  // deliveries to subscribers (or consumed records) per second
  sendMs: Percentiles | null;               // sendChat round trip (null for kafka)
  deliveryMs: Percentiles;                  // send → each subscriber (kafka: produce → consume)
  errors: number;
  /** CPU ms per acknowledged chat, per server process (read from /proc around the measured part of the step). */
  cpuMsPerChat?: Record<string, number>;
  /** The 1-minute load average when the step ended: other work on the machine shows here. */
  loadAverage?: number;
  /** With --trace (service only): per hop of a chat, its percentiles over the step's traced chats. */
  hopsMs?: Record<string, Percentiles>;
}
export interface BenchResults {
  startedAt: string;                         // ISO
  machine: { cpus: number; model: string; memGiB: number; node: string; os: string };
  load: { rooms: number; subscribers: number; senders: number; stepSeconds: number; note: string };
  steps: Step[];
  /** Measured after a forced GC; heapKbPerSubscription is absent in runs from before it was measured. */
  idleSubscriptions: { count: number; rssBeforeMB: number; rssAfterMB: number; kbPerSubscription: number; heapKbPerSubscription?: number } | null;
  history: { storedMessages: number; requests: number; ms: Percentiles } | null;
  targets: { name: string; target: string; measured: string; met: boolean; note: string }[];
  /** searchMessages and addReaction (bench/message-lifecycle.ts); absent in runs from before they were measured. */
  lifecycle?: LifecycleResults;
}

export const BEGIN_MARKER = '<!-- bench:begin -->';
export const END_MARKER = '<!-- bench:end -->';
const CHART_TITLE = 'Latency against offered load';
const TARGET_P99_MS = 50;

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Nearest-rank percentiles: the value at rank ceil(p/100 · n), so every result is a real sample. */
export function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0) return { p50: 0, p95: 0, p99: 0, count: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => round1(sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]);
  return { p50: at(50), p95: at(95), p99: at(99), count: sorted.length };
}

/** File-name-safe form of startedAt, shared by the JSON, the SVG copy and the markdown link. */
export function stamp(startedAt: string): string {
  return startedAt.replace(/[:.]/g, '-');
}

// ---------------------------------------------------------------- chart

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** An axis top that is a whole number of 1/2/2.5/5 × 10^k steps, about `ticks` of them. */
function niceAxis(max: number, ticks = 5): { top: number; step: number } {
  const m = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = m / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((k) => k * mag >= raw - 1e-12) ?? 10) * mag;
  return { top: Math.ceil(m / step - 1e-9) * step, step };
}

const fmtTick = (v: number): string => String(Math.round(v * 1000) / 1000);

interface Series { label: string; color: string; dash?: string; points: { x: number; y: number }[] }

function series(steps: Step[], target: Step['target'], label: string, color: string,
  pick: (s: Step) => number | undefined, dash?: string): Series {
  const points = steps
    .filter((s) => s.target === target && s.mode === 'open' && s.offeredPerSec !== null)
    .flatMap((s) => {
      const y = pick(s);
      return y === undefined ? [] : [{ x: s.offeredPerSec as number, y }];
    })
    .sort((a, b) => a.x - b.x);
  return { label, color, dash, points };
}

export function renderChart(results: BenchResults): string {
  const W = 720, H = 360;
  const left = 64, right = 530, top = 52, bottom = 308;  // plot box; the legend sits right of it

  const all = [
    series(results.steps, 'service', 'service delivery p50', '#6baed6', (s) => s.deliveryMs.p50),
    series(results.steps, 'service', 'service delivery p99', '#08519c', (s) => s.deliveryMs.p99),
    series(results.steps, 'service', 'service sendChat p50', '#fdae6b', (s) => s.sendMs?.p50),
    series(results.steps, 'service', 'service sendChat p99', '#d94801', (s) => s.sendMs?.p99),
    series(results.steps, 'memory', 'in-memory delivery p99', '#636363', (s) => s.deliveryMs.p99, '6 4'),
    series(results.steps, 'peer', 'peer delivery p99', '#31a354', (s) => s.deliveryMs.p99, '3 3'),
  ];
  const plotted = all.filter((s) => s.points.length > 0);
  const xs = plotted.flatMap((s) => s.points.map((p) => p.x));
  const ys = plotted.flatMap((s) => s.points.map((p) => p.y));
  const xAxis = niceAxis(Math.max(0, ...xs));
  // Every plotted series is a p50 or p99, so the largest value is the largest p99. The target
  // line is kept on the chart too: a 50 ms line that falls off the top would say nothing.
  const yAxis = niceAxis(Math.max(TARGET_P99_MS, ...ys));
  const px = (x: number) => (left + (x / xAxis.top) * (right - left)).toFixed(1);
  const py = (y: number) => (bottom - (y / yAxis.top) * (bottom - top)).toFixed(1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(CHART_TITLE)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="16" font-weight="bold">${escapeXml(CHART_TITLE)}</text>`);
  const m = results.machine;
  const subtitle = `${results.startedAt} · ${m.model}, ${m.cpus} CPUs · ${results.load.rooms} rooms, ${results.load.subscribers} subscribers`;
  out.push(`<text x="${left}" y="38" fill="#555555">${escapeXml(subtitle)}</text>`);

  // Grid, ticks and tick labels.
  for (let i = 0; i * yAxis.step <= yAxis.top + 1e-9; i++) {
    const v = i * yAxis.step, y = py(v);
    out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${left - 4}" y1="${y}" x2="${left}" y2="${y}" stroke="#333333"/>`);
    out.push(`<text x="${left - 7}" y="${y}" dy="0.35em" text-anchor="end">${fmtTick(v)}</text>`);
  }
  for (let i = 0; i * xAxis.step <= xAxis.top + 1e-9; i++) {
    const v = i * xAxis.step, x = px(v);
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#f0f0f0"/>`);
    out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#333333"/>`);
    out.push(`<text x="${x}" y="${bottom + 16}" text-anchor="middle">${fmtTick(v)}</text>`);
  }
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333333"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333333"/>`);
  out.push(`<text x="${(left + right) / 2}" y="${H - 14}" text-anchor="middle" font-size="12">Offered load (msg/s, open loop)</text>`);
  out.push(`<text x="18" y="${(top + bottom) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 18 ${(top + bottom) / 2})">Latency (ms)</text>`);

  // Target line, labelled at its right end.
  const ty = py(TARGET_P99_MS);
  out.push(`<line x1="${left}" y1="${ty}" x2="${right}" y2="${ty}" stroke="#c00000" stroke-width="1.5" stroke-dasharray="2 4"/>`);
  out.push(`<text x="${right - 4}" y="${ty}" dy="-4" text-anchor="end" fill="#c00000">${escapeXml(`target p99 ≤ ${TARGET_P99_MS} ms`)}</text>`);

  if (plotted.length === 0) {
    out.push(`<text x="${(left + right) / 2}" y="${(top + bottom) / 2}" text-anchor="middle" fill="#888888">no open-loop steps measured</text>`);
  }

  // One polyline per series; markers carry a tooltip with the exact value.
  for (const s of plotted) {
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${s.points.map((p) => `${px(p.x)},${py(p.y)}`).join(' ')}"/>`);
    for (const p of s.points) {
      const tip = `${s.label} at ${fmtTick(p.x)} msg/s: ${p.y} ms`;
      out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${s.dash ? '#ffffff' : s.color}" stroke="${s.color}" stroke-width="1.5"><title>${escapeXml(tip)}</title></circle>`);
    }
  }

  // Legend: plain <line> samples, so polylines count only the data.
  plotted.forEach((s, i) => {
    const y = top + 8 + i * 20;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<line x1="${right + 16}" y1="${y}" x2="${right + 40}" y2="${y}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<circle cx="${right + 28}" cy="${y}" r="3" fill="${s.dash ? '#ffffff' : s.color}" stroke="${s.color}" stroke-width="1.5"/>`);
    out.push(`<text x="${right + 46}" y="${y}" dy="0.35em">${escapeXml(s.label)}</text>`);
  });

  out.push('</svg>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- markdown

/** Table cells must not break the row: pipes escaped, newlines flattened. */
const cell = (s: string): string => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
const rate = (n: number): string => (Math.abs(n) >= 100 ? String(Math.round(n)) : String(round1(n)));
const ms = (n: number): string => n.toFixed(1);
const triple = (p: Percentiles | null): string[] => (p ? [ms(p.p50), ms(p.p95), ms(p.p99)] : ['—', '—', '—']);

/** Where a chat's time goes, from the service's traces (`--trace`): p50 / p99 per hop and step. */
function hopLines(steps: Step[]): string[] {
  const traced = steps.filter((s) => s.target === 'service' && s.hopsMs);
  if (traced.length === 0) return [];
  const label = (s: Step) => (s.mode === 'open' ? `open ${rate(s.offeredPerSec!)}/s` : s.mode);
  const out = ['### Where a chat\'s time goes (service, traced)', ''];
  out.push(`| Hop | ${traced.map(label).join(' | ')} |`, `|---|${traced.map(() => '--:').join('|')}|`);
  for (const hop of Object.keys(traced[0].hopsMs!)) {
    out.push(`| ${cell(hop)} | ${traced.map((s) => { const p = s.hopsMs![hop]; return p && p.count > 0 ? `${ms(p.p50)} / ${ms(p.p99)}` : '—'; }).join(' | ')} |`);
  }
  out.push('', 'p50 / p99 in ms over the chats of each measured step, from OpenTelemetry spans exported by the gateway and the worker ' +
    '(src/observe/tracing.ts); each hop starts where the one before it ended, except the last two, which both start when the worker produced.', '');
  return out;
}

/** Total CPU ms per chat, then each process's share. */
function cpuCell(cpu: Record<string, number> | undefined): string {
  if (!cpu) return '—';
  const parts = Object.entries(cpu);
  const total = parts.reduce((sum, [, v]) => sum + v, 0);
  return `${total.toFixed(1)} (${parts.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`;
}

/** The fastest closed-loop step of a target, or undefined when none ran. */
function closedBest(steps: Step[], target: Step['target']): Step | undefined {
  return steps.filter((s) => s.target === target && s.mode === 'closed')
    .reduce<Step | undefined>((best, s) => (!best || s.sentPerSec > best.sentPerSec ? s : best), undefined);
}

function ratioLines(steps: Step[]): string[] {
  const lines: string[] = [];

  const svc = closedBest(steps, 'service'), mem = closedBest(steps, 'memory');
  const missing = [!svc && 'service', !mem && 'memory'].filter(Boolean).join(' and ');
  if (missing) {
    lines.push(`- Closed-loop sendChat/s, service ÷ in-memory: not measured (no closed-loop ${missing} step).`);
  } else if (mem!.sentPerSec <= 0) {
    lines.push(`- Closed-loop sendChat/s, service ÷ in-memory: not measured (in-memory achieved 0/s).`);
  } else {
    const pct = Math.round((svc!.sentPerSec / mem!.sentPerSec) * 100);
    lines.push(`- Closed-loop sendChat/s, service ÷ in-memory: ${rate(svc!.sentPerSec)} ÷ ${rate(mem!.sentPerSec)} = ${pct} %`);
  }

  // The heaviest open-loop load both the service and raw Kafka were offered.
  const offered = (t: Step['target']) => new Set(steps
    .filter((s) => s.target === t && s.mode === 'open' && s.offeredPerSec !== null)
    .map((s) => s.offeredPerSec as number));
  const kafkaLoads = offered('kafka');
  const shared = [...offered('service')].filter((x) => kafkaLoads.has(x));
  if (shared.length === 0) {
    lines.push('- Delivery latency, service ÷ raw Kafka: not measured (no open-loop load offered to both).');
  } else {
    const load = Math.max(...shared);
    const at = (t: Step['target']) => steps.find((s) => s.target === t && s.mode === 'open' && s.offeredPerSec === load)!;
    const a = at('service').deliveryMs, b = at('kafka').deliveryMs;
    const times = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(1)}×` : 'n/a (Kafka figure is 0)');
    lines.push(`- Delivery latency at ${rate(load)} msg/s offered, service ÷ raw Kafka: ` +
      `p50 ${ms(a.p50)} ÷ ${ms(b.p50)} ms = ${times(a.p50, b.p50)}, p99 ${ms(a.p99)} ÷ ${ms(b.p99)} ms = ${times(a.p99, b.p99)}`);
  }
  lines.push(...peerRatioLines(steps));
  return lines;
}

export const cpuTotal = (s: Step | undefined) => (s?.cpuMsPerChat ? Object.values(s.cpuMsPerChat).reduce((a, b) => a + b, 0) : undefined);

/** Service ÷ peer at every step both ran (measured side by side, so the ratio holds under the same machine load). */
function peerRatioLines(steps: Step[]): string[] {
  const x = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
  const lines: string[] = [];
  for (const peer of steps.filter((s) => s.target === 'peer')) {
    const svc = steps.find((s) => s.target === 'service' && s.mode === peer.mode && s.offeredPerSec === peer.offeredPerSec);
    if (!svc) continue;
    const label = peer.mode === 'open' ? `open ${rate(peer.offeredPerSec!)}/s` : peer.mode;
    lines.push(`- Service ÷ peer, ${label}: sendChat p50 ${x(svc.sendMs?.p50, peer.sendMs?.p50)}, p99 ${x(svc.sendMs?.p99, peer.sendMs?.p99)}; ` +
      `delivery p50 ${x(svc.deliveryMs.p50, peer.deliveryMs.p50)}, p99 ${x(svc.deliveryMs.p99, peer.deliveryMs.p99)}; ` +
      `sendChat/s ${x(svc.sentPerSec, peer.sentPerSec)}; CPU per chat ${x(cpuTotal(svc), cpuTotal(peer))}`);
  }
  return lines;
}

/** The figures section; chartPath is relative to the repository root, where BENCHMARKS.md lives. */
export function renderMarkdown(results: BenchResults, chartPath: string): string {
  const { machine: m, load: l } = results;
  const out: string[] = ['## Latest run', ''];
  out.push(`Run started ${results.startedAt} on ${m.model} (${m.cpus} CPUs, ${m.memGiB} GiB), Node ${m.node}, ${m.os}.`);
  out.push('');
  out.push(`Load: ${l.rooms} rooms, ${l.subscribers} subscribers, ${l.senders} senders, ${l.stepSeconds} s per step.` +
    (l.note.trim() ? ` ${l.note.trim()}` : ''));
  out.push('');
  out.push('| Target | Mode | Offered/s | sendChat/s | Deliveries/s | sendChat p50 | p95 | p99 | Delivery p50 | p95 | p99 | Errors | CPU ms/chat | Load avg |');
  out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|');
  for (const s of results.steps) {
    out.push(`| ${[s.target, s.mode, s.offeredPerSec === null ? '—' : rate(s.offeredPerSec), rate(s.sentPerSec),
      rate(s.deliveredPerSec), ...triple(s.sendMs), ...triple(s.deliveryMs), String(s.errors), cpuCell(s.cpuMsPerChat),
      s.loadAverage === undefined ? '—' : s.loadAverage.toFixed(1)].join(' | ')} |`);
  }
  out.push('');
  out.push('Latencies in ms. *service*: the real service; *peer*: a conventional GraphQL server (bench/peer-server.ts: ' +
    'PostgreSQL written in the resolver, Redis pub/sub); *memory*: GraphQL only, in memory (the ceiling); ' +
    '*kafka*: raw kafkajs produce → consume (its sendChat/s column counts produced records). Each step is warmed up ' +
    'before it is measured, and the targets take turns at every step. CPU ms per acknowledged chat from /proc, ' +
    'all server processes together, then per process (PostgreSQL: the backends of the target\'s own database).');
  out.push('');
  out.push('### Ratios', '', ...ratioLines(results.steps), '');
  out.push(...hopLines(results.steps));

  if (results.idleSubscriptions) {
    const i = results.idleSubscriptions;
    out.push(`Idle subscriptions: ${i.count} held, RSS ${round1(i.rssBeforeMB)} → ${round1(i.rssAfterMB)} MB, ` +
      `${round1(i.kbPerSubscription)} KB per subscription` +
      (i.heapKbPerSubscription === undefined ? '.' : ` (JavaScript heap: ${round1(i.heapKbPerSubscription)} KB), after a forced GC.`), '');
  }
  if (results.history) {
    const h = results.history;
    out.push(`History: p50 / p95 / p99 ${ms(h.ms.p50)} / ${ms(h.ms.p95)} / ${ms(h.ms.p99)} ms over ${h.requests} requests, ` +
      `${h.storedMessages} messages stored.`, '');
  }

  out.push('### Targets', '', '| Name | Target | Measured | Met | Note |', '|---|---|---|:-:|---|');
  for (const t of results.targets) {
    out.push(`| ${[cell(t.name), cell(t.target), cell(t.measured), t.met ? '✓' : '✗', cell(t.note)].join(' | ')} |`);
  }
  out.push('');
  const rel = chartPath.split(path.sep).join('/');
  out.push(`![${CHART_TITLE}](${rel})`, '');
  const json = `bench/results/${stamp(results.startedAt)}.json`;
  out.push(`Raw numbers: [${json}](${json}).`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- files

const BENCHMARKS_HEADER = `# Benchmarks

\`npm run bench\` measures the service and rewrites the section between the
\`${BEGIN_MARKER}\` and \`${END_MARKER}\` markers below with the latest
figures; the raw numbers of every run are kept in \`bench/results/\`.
Edit anything outside the markers freely; the section between them is replaced.

`;

/** A marker counts only on a line of its own, so prose that quotes it (like the header) is left alone. */
function markerAt(doc: string, marker: string, from: number): number {
  const literal = marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${literal}[ \t\r]*$`, 'gm');
  re.lastIndex = from;
  return re.exec(doc)?.index ?? -1;
}

export function writeReport(results: BenchResults, repoRoot: string): { jsonPath: string; chartPath: string } {
  const dir = path.join(repoRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const name = stamp(results.startedAt);
  const jsonPath = path.join(dir, `${name}.json`);
  const chartPath = path.join(dir, 'latest.svg');
  fs.writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  const svg = renderChart(results);
  fs.writeFileSync(chartPath, svg);
  fs.writeFileSync(path.join(dir, `${name}.svg`), svg);

  const mdPath = path.join(repoRoot, 'BENCHMARKS.md');
  let doc = fs.existsSync(mdPath) ? fs.readFileSync(mdPath, 'utf8') : BENCHMARKS_HEADER;
  let begin = markerAt(doc, BEGIN_MARKER, 0);
  let end = begin < 0 ? -1 : markerAt(doc, END_MARKER, begin);
  if (begin < 0 && markerAt(doc, END_MARKER, 0) >= 0) {
    throw new Error(`${mdPath}: ${END_MARKER} without ${BEGIN_MARKER} before it; fix the markers by hand`);
  }
  if (begin >= 0 && end < 0) {
    throw new Error(`${mdPath}: ${BEGIN_MARKER} without ${END_MARKER} after it; fix the markers by hand`);
  }
  if (begin < 0) {
    doc = doc.replace(/\n*$/, '\n\n') + `${BEGIN_MARKER}\n${END_MARKER}\n`;
    begin = markerAt(doc, BEGIN_MARKER, 0);
    end = markerAt(doc, END_MARKER, begin);
  }
  // Slicing rather than String.replace, so "$" in the figures is never a replacement pattern.
  const section = renderMarkdown(results, path.relative(repoRoot, chartPath));
  doc = doc.slice(0, begin + BEGIN_MARKER.length) + '\n' + section + doc.slice(end);
  fs.writeFileSync(mdPath, doc);
  return { jsonPath, chartPath };
}

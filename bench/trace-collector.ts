import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentiles, type Percentiles } from './report';

/**
 * A minimal OTLP/HTTP (JSON) trace receiver for `npm run bench -- --trace`:
 * the gateway and the worker export their spans to it (src/observe/tracing.ts,
 * OTEL_EXPORTER_OTLP_ENDPOINT), and it turns each sendChat's trace into the
 * time spent per hop. Spans are kept in memory for the run only.
 */

interface CollectedSpan {
  traceId: string;
  name: string;
  startMs: number;
  endMs: number;
  events: Record<string, number>;
}

/** The hops of one chat, in order; each is the time from the previous mark to this one. */
export const HOPS = [
  'gateway: resolver → command produced',
  'command produced → worker took it',
  'worker took it → transaction committed',
  'committed → event and reply produced',
  'produced → reply received by the gateway',
  'produced → event received by the gateway',
] as const;

const nanosToMs = (v: unknown) => Number(BigInt(String(v ?? 0)) / 1000n) / 1000;
const idOf = (v: unknown) => (typeof v === 'string' ? v : Buffer.from((v as number[]) ?? []).toString('hex'));

export class TraceCollector {
  private readonly spans: CollectedSpan[] = [];
  private server: Server | null = null;
  /** Where the service exports: OTEL_EXPORTER_OTLP_ENDPOINT (the exporter adds /v1/traces). */
  endpoint = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.add(JSON.parse(Buffer.concat(chunks).toString()));
        } catch {
          // Not JSON (a protobuf exporter, say): ignored, the breakdown then says it saw nothing.
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private add(body: any): void {
    for (const rs of body.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            traceId: idOf(s.traceId),
            name: String(s.name),
            startMs: nanosToMs(s.startTimeUnixNano),
            endMs: nanosToMs(s.endTimeUnixNano),
            events: Object.fromEntries((s.events ?? []).map((e: any) => [String(e.name), nanosToMs(e.timeUnixNano)])),
          });
        }
      }
    }
  }

  /** Per hop, the percentiles over the sendChat traces whose mutation started in [fromMs, toMs) (wall clock). */
  hops(fromMs: number, toMs: number): Record<string, Percentiles> | undefined {
    const byTrace = new Map<string, CollectedSpan[]>();
    for (const span of this.spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
    const samples: number[][] = HOPS.map(() => []);
    for (const spans of byTrace.values()) {
      const command = spans.find((s) => s.name === 'command SendChat');
      const apply = spans.find((s) => s.name === 'apply SendChat');
      const deliver = spans.find((s) => s.name === 'deliver message');
      if (!command || !apply || command.startMs < fromMs || command.startMs >= toMs) continue;
      const produced = command.events.produced;
      const committed = apply.events.committed;
      const workerProduced = apply.events.produced;
      const marks = [
        [command.startMs, produced],
        [produced, apply.startMs],
        [apply.startMs, committed],
        [committed, workerProduced],
        [workerProduced, command.endMs],
        [workerProduced, deliver?.startMs],
      ];
      marks.forEach(([from, to], i) => {
        if (from !== undefined && to !== undefined) samples[i].push(Math.max(0, to - from));
      });
    }
    if (samples.every((s) => s.length === 0)) return undefined;
    return Object.fromEntries(HOPS.map((hop, i) => [hop, percentiles(samples[i])]));
  }

  /** Forgets what was collected (between runs of the same collector). */
  clear(): void {
    this.spans.length = 0;
  }
}

/**
 * Tracing with OpenTelemetry: one trace per mutation, its context carried in
 * Kafka record headers (W3C trace context, `traceparent`) from the gateway's
 * command to the worker, and from the worker's reply and events back to every
 * gateway that delivers them.
 *
 * Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
 * is set: then spans are exported over OTLP/HTTP. When off, every helper here
 * returns at its first line (no span, no header, no context lookup), so the
 * hot path pays a null check.
 *
 * Spans of a chat (the bench's per-hop breakdown reads the same):
 * - gateway `command <Type>`: from the resolver's send to the reply; event `produced` when the broker took the command;
 * - worker `apply <Type>`: from when the worker took the record; events `committed` and `produced` (its reply and events);
 * - gateway `deliver <type>`: an event record reaching this gateway's subscribers.
 */
import { ROOT_CONTEXT, context, propagation, trace, type Context, type Span, type TextMapGetter, type TimeInput, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IHeaders } from 'kafkajs';

let tracer: Tracer | null = null;
let provider: NodeTracerProvider | null = null;

/** Starts exporting when an OTLP endpoint is configured; otherwise tracing stays off. Idempotent. */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (tracer) return true;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return false;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    // The exporter reads its endpoint (…/v1/traces) and headers from the standard OTEL_ variables.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 })],
  });
  // AsyncLocalStorage context and the W3C propagator, so `traceparent` is what goes into the headers.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  tracer = provider.getTracer('kafka-chat');
  return true;
}

/** Flushes and stops the exporter (on shutdown). */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = null;
  tracer = null;
  await stopping?.shutdown();
}

export const tracingOn = (): boolean => tracer !== null;

const headerGetter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

/** The trace context a record carries (none: the root). */
function contextOf(headers: IHeaders | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}

/**
 * A span, child of the trace the record's headers carry (or of the active
 * context when `headers` is null); undefined when tracing is off.
 */
export function startSpan(name: string, headers: IHeaders | undefined | null, startTime?: TimeInput): Span | undefined {
  if (!tracer) return undefined;
  return tracer.startSpan(name, { startTime }, headers === null ? context.active() : contextOf(headers));
}

/** Adds `traceparent` (and `tracestate`) of `span` to a record's headers; nothing without a span. */
export function withTraceHeaders(headers: IHeaders, span: Span | undefined): IHeaders {
  if (!span) return headers;
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return headers;
}

/**
 * A span for a record that arrived: started and ended at once, child of the
 * trace in its headers, only when the record carries one.
 */
export function markReceived(name: string, headers: IHeaders | undefined): void {
  if (!tracer || !headers?.traceparent) return;
  tracer.startSpan(name, {}, contextOf(headers)).end();
}

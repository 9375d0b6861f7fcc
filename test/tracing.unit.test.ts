import type { IHeaders } from 'kafkajs';
import { markReceived, startSpan, startTracing, stopTracing, tracingOn, withTraceHeaders } from '../src/observe/tracing';

describe('tracing', () => {
  afterEach(() => stopTracing());

  it('is off without an OTLP endpoint: no span, headers untouched', () => {
    expect(startTracing('test', {})).toBe(false);
    expect(tracingOn()).toBe(false);
    const span = startSpan('command SendChat', null);
    expect(span).toBeUndefined();
    const headers: IHeaders = { 'reply-to': 'gw-1' };
    expect(withTraceHeaders(headers, span)).toEqual({ 'reply-to': 'gw-1' });
    expect(() => markReceived('deliver message', headers)).not.toThrow();
  });

  it('carries the trace through Kafka headers as W3C trace context', async () => {
    // Nothing listens on port 9: the spans are never exported, only propagated.
    expect(startTracing('test', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toBe(true);
    const command = startSpan('command SendChat', null)!;
    const headers = withTraceHeaders({ 'reply-to': Buffer.from('gw-1') }, command);
    expect(String(headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // The worker reads the headers as kafkajs hands them over: Buffers.
    const received: IHeaders = { traceparent: Buffer.from(String(headers.traceparent)) };
    const apply = startSpan('apply SendChat', received)!;
    expect(apply.spanContext().traceId).toBe(command.spanContext().traceId);
    expect(apply.spanContext().spanId).not.toBe(command.spanContext().spanId);

    // A record without trace context starts a trace of its own.
    const unrelated = startSpan('apply SendChat', {})!;
    expect(unrelated.spanContext().traceId).not.toBe(command.spanContext().traceId);
    // Not ended, so not exported: the exporter's transport loads by dynamic import, which jest's VM refuses.
  });
});

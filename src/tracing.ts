// OpenTelemetry tracing of logins, on only when tracing.otlp_endpoint is set: one span per
// login with the legacy lookup, the hash check and the store transaction as children,
// exported over OTLP/HTTP, and the trace id added to every log line written inside a span.
// Off, `noTracing` runs the function it is given and nothing else: the SDK is not even loaded.
// Nothing global is registered, so several bridges in one process trace independently.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span } from '@opentelemetry/api';
import type { Config } from './config/schema.ts';
import { VERSION as version } from './version.ts';

export type Attributes = Record<string, string | number | boolean>;

export interface SpanHandle {
  set(attributes: Attributes): void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Runs fn inside a span (a child of the span around it, if any). */
  span<T>(name: string, fn: (span: SpanHandle) => Promise<T>, attributes?: Attributes): Promise<T>;
  /** trace_id and span_id of the span around the caller, for the log line (pino's mixin). */
  logFields(): Record<string, string>;
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const NOOP_HANDLE: SpanHandle = { set() {} };
const NO_FIELDS: Record<string, string> = {};

export const noTracing: Tracing = {
  enabled: false,
  span: (_name, fn) => fn(NOOP_HANDLE),
  logFields: () => NO_FIELDS,
  flush: async () => {},
  shutdown: async () => {},
};

export async function startTracing(config: Config['tracing']): Promise<Tracing> {
  if (!config.otlp_endpoint) return noTracing;
  const [api, sdk, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const processor = new sdk.BatchSpanProcessor(
    new OTLPTraceExporter({ url: config.otlp_endpoint, headers: config.headers }),
    { scheduledDelayMillis: 1000 },
  );
  const provider = new sdk.BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.service_name, 'service.version': version }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(config.sample_ratio) }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('oidc-bridge', version);
  const current = new AsyncLocalStorage<Span>();

  return {
    enabled: true,
    async span(name, fn, attributes) {
      const parent = current.getStore();
      const ctx = parent ? api.trace.setSpan(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT;
      const span = tracer.startSpan(name, attributes ? { attributes } : {}, ctx);
      try {
        return await current.run(span, () => fn({ set: (a) => span.setAttributes(a) }));
      } catch (err) {
        span.recordException({ name: (err as Error).name, message: (err as Error).message });
        span.setStatus({
          code: api.SpanStatusCode.ERROR,
          message: (err as { code?: string }).code ?? (err as Error).name,
        });
        throw err;
      } finally {
        span.end();
      }
    },
    logFields() {
      const span = current.getStore();
      if (!span) return NO_FIELDS;
      const c = span.spanContext();
      return { trace_id: c.traceId, span_id: c.spanId };
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

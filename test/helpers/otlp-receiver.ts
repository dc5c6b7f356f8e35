/**
 * A local OTLP/HTTP receiver (JSON, as `@opentelemetry/exporter-trace-otlp-http`
 * sends it) on an ephemeral port: keeps each request's raw body, for the
 * assertions over everything exported, and the spans decoded from them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as the tests read it: ids in hex, attributes as plain values. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP's numbers: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  /** 0 unset, 1 ok, 2 error. */
  readonly status: { code: number; message?: string };
  readonly resource: Readonly<Record<string, string | number | boolean>>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;
interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttributes };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpAttributes;
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

const plain = (attributes: OtlpAttributes) =>
  Object.fromEntries(
    (attributes ?? []).map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue!)),
    ]),
  );

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** Every request body as received. */
  readonly bodies: string[];
  /** The headers of each export request. */
  readonly headers: http.IncomingHttpHeaders[];
  spans(): ReceivedSpan[];
  /** The status it answers exports with (200; a test sets 401 or 500 for a receiver that refuses). */
  status: number;
  /** Bodies received and read, and connections answered; with `discard`, bodies are counted, not kept. */
  readonly count: { requests: number; bytes: number };
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1, port 0; with `discard`, only counts (the benchmark's). */
export async function startOtlpReceiver(opts: { discard?: boolean } = {}): Promise<OtlpReceiver> {
  const bodies: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const count = { requests: 0, bytes: 0 };
  const answer = { status: 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      count.bytes += c.length;
      if (!opts.discard) chunks.push(c);
    });
    req.on('end', () => {
      count.requests++;
      if (!opts.discard && req.url === '/v1/traces') {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        headers.push(req.headers);
      }
      res.writeHead(req.url === '/v1/traces' ? answer.status : 404, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    get status() {
      return answer.status;
    },
    set status(status: number) {
      answer.status = status;
    },
    url: `http://127.0.0.1:${port}`,
    bodies,
    headers,
    count,
    spans: () =>
      bodies.flatMap((b) =>
        ((JSON.parse(b) as OtlpBody).resourceSpans ?? []).flatMap((rs) =>
          (rs.scopeSpans ?? []).flatMap((ss) =>
            (ss.spans ?? []).map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              attributes: plain(s.attributes),
              status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
              resource: plain(rs.resource?.attributes),
            })),
          ),
        ),
      ),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * The server span of each request to a login route (`/login`, `/initiate`,
 * `/chat`, `/callback`): it continues the trace of an inbound W3C
 * `traceparent` only when the connecting peer is a trusted proxy (TRUST_PROXY:
 * the ingress or mesh that starts or forwards traces); from anyone else the
 * request is the root of a new trace, sampled as OTEL_TRACES_SAMPLER says.
 * Otherwise any client could decide that its logins are traced (defeating the
 * ratio, at the bank's export cost) and choose trace IDs (its requests merged
 * into another's trace). It is the parent of the login's steps (Redis, token,
 * userinfo, Graph, CommBox), carries the reference ID and, on a refusal, its
 * reason and check, and ends with the answer. Health, metrics and pages are not
 * traced: probes would drown the logins; nor is a request the rate limit refuses.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { trustedPeer } from '../net/client-address.js';
import type { ServerSpan, Tracer } from '../observability/tracing.js';
import { toBridgeError } from '../web/error-handler.js';

const LOGIN_ROUTE = /^\/(login|initiate|callback|chat)(\/|$)/;

/** Adds the hooks that give each login request its server span (before the routes are registered). */
export function traceLoginRequests(app: FastifyInstance, tracer: Tracer, trustProxy: false | readonly string[]): void {
  const spans = new WeakMap<FastifyRequest, ServerSpan>();
  const fromTrustedProxy = trustedPeer(trustProxy);
  // Started in preParsing, after every onRequest hook, the rate limit's (a route's
  // own onRequest hooks run after the app's): a request the limit refuses (429)
  // has no span, so a flood is not a flood of exported spans.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    const route = req.routeOptions.url;
    if (route === undefined || !LOGIN_ROUTE.test(route)) {
      done(null, payload);
      return;
    }
    // One traceparent header, from a trusted proxy (repeated, it is invalid: W3C trace context).
    const inbound = req.headers.traceparent;
    const traceparent = typeof inbound === 'string' && fromTrustedProxy(req) ? inbound : undefined;
    const span = tracer.serverSpan(`${req.method} ${route}`, traceparent, {
      'http.request.method': req.method,
      'http.route': route,
      'bridge.reference': req.id,
    });
    spans.set(req, span);
    // The rest of the request (parsing, the handler) runs with this span as its parent.
    span.run(() => done(null, payload));
  });
  app.addHook('onError', (req, _reply, error, done) => {
    spans.get(req)?.fail(toBridgeError(error));
    done();
  });
  const end = (req: FastifyRequest, status: number) => {
    const span = spans.get(req);
    if (span === undefined) return;
    const params = req.params as { idp?: unknown } | undefined;
    // /login/<idp>'s name only once the route accepted it (an unknown name is the visitor's text).
    const idp = req.login?.idp ?? (status < 400 && typeof params?.idp === 'string' ? params.idp : undefined);
    if (idp !== undefined) span.set({ 'bridge.idp': idp });
    span.end(status);
  };
  app.addHook('onResponse', (req, reply, done) => {
    end(req, reply.statusCode);
    done();
  });
  // The client went away before the answer: the span still ends (499, as proxies log it).
  app.addHook('onRequestAbort', (req, done) => {
    end(req, 499);
    done();
  });
}

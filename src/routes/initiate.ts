/**
 * `GET|POST /initiate`: third-party-initiated login (OpenID Connect Core §4),
 * for IdP app-launcher tiles.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { limited, type Bridge, type RateLimit } from '../bridge.js';
import { BridgeError, Reasons } from '../errors.js';
import { isChatPath, resolveChatChannel } from './chat.js';
import { startLogin } from './login.js';

/** Paths of this bridge that a `target_link_uri` may name (and `/chat/<channel>`). */
const TARGET_PATHS = new Set(['/', '/login']);

/**
 * Resolves `target_link_uri`: accepted only when it points at this bridge's own
 * origin and one of its entry points, never elsewhere (no open redirect).
 */
export function resolveTarget(bridge: Bridge, target: string | undefined): string | undefined {
  if (target === undefined || target === '') return undefined;
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new BridgeError(Reasons.initiateBadTarget, 400, { detail: 'target_link_uri is not an absolute URL' });
  }
  const base = new URL(bridge.config.publicUrl + '/');
  const prefix = base.pathname.replace(/\/$/, '');
  const path = u.pathname.startsWith(prefix) ? u.pathname.slice(prefix.length) || '/' : undefined;
  const ours = u.origin === bridge.config.publicOrigin && path !== undefined && !u.username && !u.password && u.search === '' && u.hash === '';
  if (!ours || !(TARGET_PATHS.has(path) || isChatPath(path))) {
    throw new BridgeError(Reasons.initiateBadTarget, 400, { detail: `target_link_uri points outside this bridge: ${JSON.stringify(target.slice(0, 200))}` });
  }
  if (isChatPath(path)) return `/chat/${resolveChatChannel(bridge, path)}`;
  return path === '/' ? '/login' : path;
}

function single(params: Record<string, unknown>, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BridgeError(Reasons.badRequest, 400, { detail: `${name} is given more than once` });
  return v;
}

async function initiate(bridge: Bridge, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (req.method === 'POST' && !/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    throw new BridgeError(Reasons.badRequest, 415, { detail: 'POST /initiate takes an application/x-www-form-urlencoded form' });
  }
  const params = ((req.method === 'POST' ? req.body : req.query) ?? {}) as Record<string, unknown>;
  const iss = single(params, 'iss');
  const loginHint = single(params, 'login_hint');
  const targetLinkUri = single(params, 'target_link_uri');
  if (iss === undefined && loginHint === undefined && targetLinkUri === undefined && Object.keys(params).length === 0) {
    return startLogin(bridge, reply, { entry: 'initiate' }); // a bare link: a normal login
  }
  // The IdP is chosen by the issuer; an unknown one is refused, never visited.
  const idp = [...bridge.idps.values()].find((i) => i.config.oidc.issuer === iss);
  if (iss === undefined || idp === undefined) {
    throw new BridgeError(Reasons.initiateUnknownIssuer, 400, {
      detail: iss === undefined ? 'initiate login without "iss"' : `initiate login names issuer ${JSON.stringify(iss.slice(0, 200))}`,
    });
  }
  const target = resolveTarget(bridge, targetLinkUri);
  // Customer chat goes through the default IdP only: a chat ticket carries no
  // username, so an extra IdP's namespace could not hold it.
  if (target !== undefined && isChatPath(target) && idp.config.name !== 'default') {
    throw new BridgeError(Reasons.initiateBadTarget, 400, { detail: `a tile of IdP "${idp.config.name}" names a chat route; customer chat access goes through the default IdP only` });
  }
  return startLogin(bridge, reply, { entry: 'initiate', idp, loginHint: loginHint?.slice(0, 256), target });
}

export async function initiateRoutes(app: FastifyInstance, { bridge, rateLimit }: { bridge: Bridge; rateLimit: RateLimit }): Promise<void> {
  app.get('/initiate', limited(rateLimit), (req, reply) => initiate(bridge, req, reply));
  app.post('/initiate', limited(rateLimit), (req, reply) => initiate(bridge, req, reply));
}

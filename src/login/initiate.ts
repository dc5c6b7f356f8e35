/**
 * Third-party-initiated login (OpenID Connect Core §4), for IdP app-launcher
 * tiles: which IdP, which hint, and which of this bridge's entry points the
 * login goes to. Pure over the bridge's IdPs and where it is reached.
 */
import { isChatPath, resolveChatChannel } from '../commbox/chat.js';
import type { BridgeConfig } from '../config/parse.js';
import { BridgeError, Reasons } from '../errors.js';
import type { Idp } from './idp.js';

/** Where this bridge is reached, and which chat channels it opens: what a `target_link_uri` is checked against. */
export type BridgeSite = Pick<BridgeConfig, 'publicUrl' | 'publicOrigin' | 'commbox'>;

/** Paths of this bridge that a `target_link_uri` may name (and `/chat/<channel>`). */
const TARGET_PATHS = new Set(['/', '/login']);

/**
 * What an initiation asks for; undefined idp: a bare link, a normal login. Its
 * `login_hint` is passed on like any link's (`OIDC_PASS_THROUGH_PARAMS`).
 */
export interface Initiation {
  readonly idp: Idp | undefined;
  readonly target: string | undefined;
}

/**
 * Resolves `target_link_uri`: accepted only when it points at this bridge's own
 * origin and one of its entry points, never elsewhere (no open redirect).
 */
export function resolveTarget(site: BridgeSite, target: string | undefined): string | undefined {
  if (target === undefined || target === '') return undefined;
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new BridgeError(Reasons.initiateBadTarget, { detail: 'target_link_uri is not an absolute URL' });
  }
  const base = new URL(site.publicUrl + '/');
  const prefix = base.pathname.replace(/\/$/, '');
  const path = u.pathname.startsWith(prefix) ? u.pathname.slice(prefix.length) || '/' : undefined;
  const ours =
    u.origin === site.publicOrigin &&
    path !== undefined &&
    !u.username &&
    !u.password &&
    u.search === '' &&
    u.hash === '';
  if (!ours || !(TARGET_PATHS.has(path) || isChatPath(path))) {
    throw new BridgeError(Reasons.initiateBadTarget, {
      detail: `target_link_uri points outside this bridge: ${JSON.stringify(target.slice(0, 200))}`,
    });
  }
  if (isChatPath(path)) return `/chat/${resolveChatChannel(site.commbox, path)}`;
  return path === '/' ? '/login' : path;
}

function single(params: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BridgeError(Reasons.badRequest, { detail: `${name} is given more than once` });
  return v;
}

/** Reads the initiation's parameters (query or form) for one of `idps`; throws the refusal. */
export function resolveInitiation(
  idps: Iterable<Idp>,
  site: BridgeSite,
  params: Readonly<Record<string, unknown>>,
): Initiation {
  const iss = single(params, 'iss');
  // Read here only to refuse a repeated login_hint (400); it reaches the IdP through OIDC_PASS_THROUGH_PARAMS.
  single(params, 'login_hint');
  const targetLinkUri = single(params, 'target_link_uri');
  if (Object.keys(params).length === 0) return { idp: undefined, target: undefined };
  // The IdP is chosen by the issuer; an unknown one is refused, never visited.
  const idp = [...idps].find((i) => i.config.oidc.issuer === iss);
  if (iss === undefined || idp === undefined) {
    throw new BridgeError(Reasons.initiateUnknownIssuer, {
      detail:
        iss === undefined
          ? 'initiate login without "iss"'
          : `initiate login names issuer ${JSON.stringify(iss.slice(0, 200))}`,
    });
  }
  const target = resolveTarget(site, targetLinkUri);
  // Customer chat goes through the default IdP only: a chat ticket carries no
  // username, so an extra IdP's namespace could not hold it.
  if (target !== undefined && isChatPath(target) && idp.config.name !== 'default') {
    throw new BridgeError(Reasons.initiateBadTarget, {
      detail: `a tile of IdP "${idp.config.name}" names a chat route; customer chat access goes through the default IdP only`,
    });
  }
  return { idp, target };
}

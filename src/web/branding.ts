/**
 * The company's look on the pages (`ORG_COLOR`, `ORG_LOGO_FILE`) and the
 * Content-Security-Policy that allows exactly what the pages then carry: the
 * inline style by the sha256 of the style itself, computed once when the look
 * is made, and `data:` images only when there is a logo (CSP has no hashes for
 * images, and the logo is the only image the pages have).
 */
import { createHash } from 'node:crypto';
import type { OrgLogo } from '../config/settings.js';

/** What the configuration says of the company's look. */
export interface Branding {
  /** `#rrggbb`, contrast-checked by the configuration. */
  readonly color?: string | undefined;
  readonly logo?: OrgLogo | undefined;
}

/** The look every page of one configuration shares. */
export interface PageLook {
  /** The whole inline style of every page. */
  readonly style: string;
  /** The Content-Security-Policy of every answer, allowing that style and nothing else but the logo. */
  readonly csp: string;
  /** The logo as a `data:` URL; undefined: no logo. */
  readonly logoSrc: string | undefined;
}

/** The rules the company's look adds to the pages' own style (logical properties, for right-to-left pages). */
export function brandStyle({ color, logo }: Branding): string {
  const rules: string[] = [];
  if (color !== undefined) {
    // The style is trusted markup: only a colour the configuration checked goes into it.
    if (!/^#[0-9a-f]{6}$/.test(color)) throw new TypeError(`not a #rrggbb colour: ${JSON.stringify(color)}`);
    rules.push(`a{color:${color}}.button{background:${color}}`);
  }
  if (logo !== undefined)
    rules.push('.logo{display:block;max-block-size:4rem;max-inline-size:100%;margin-block:0 1rem}');
  return rules.join('\n');
}

/** The look of pages whose own style is `baseStyle`, with the company's branding on top. */
export function pageLook(baseStyle: string, branding: Branding): PageLook {
  const extra = brandStyle(branding);
  const style = extra === '' ? baseStyle : `${baseStyle}\n${extra}`;
  const styleHash = createHash('sha256').update(style).digest('base64');
  const logo = branding.logo;
  return {
    style,
    csp: `default-src 'none'; style-src 'sha256-${styleHash}'; img-src ${logo === undefined ? "'none'" : 'data:'}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    logoSrc: logo === undefined ? undefined : `data:${logo.mediaType};base64,${logo.base64}`,
  };
}

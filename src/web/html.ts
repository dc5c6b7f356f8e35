/**
 * HTML escaped by construction: the `html` tagged template escapes every value
 * it interpolates unless the value is itself a {@link SafeHtml}, which only
 * `html`, {@link raw} and {@link joinHtml} make. A string is never trusted, so a
 * forgotten escape cannot happen at an interpolation: trusting a fragment takes
 * a visible `raw()`.
 */

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * A fragment of HTML that is safe to insert as it is. The class is not
 * exported (only its type is), and its private field makes the type nominal:
 * nothing but `html`, `raw` and `joinHtml` makes one, and no string or other
 * object passes for one, in the type system or at run time.
 */
class SafeHtml {
  readonly #html: string;

  constructor(markup: string) {
    this.#html = markup;
  }

  /** True only for a fragment this class made (its private field), whatever an object's prototype says. */
  static is(value: unknown): value is SafeHtml {
    return typeof value === 'object' && value !== null && #html in value;
  }

  toString(): string {
    return this.#html;
  }
}
export type { SafeHtml };

/**
 * What `html` accepts between `${…}`: a fragment (as it is), text or a number
 * (escaped), nothing (`undefined`, `null`, `false`: empty, for `${cond && html`…`}`),
 * or a list of these (each rendered, joined without a separator).
 */
export type HtmlValue = SafeHtml | string | number | false | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (SafeHtml.is(value)) return value.toString();
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

const trust = (markup: string) => new SafeHtml(markup);

/**
 * The tagged template: `html\`<p>${text}</p>\`` escapes `text`; nested `html`
 * results are kept as they are. Its literal parts are trusted because they are
 * the source code's: a template's strings array is frozen, and a call with an
 * array built at run time is refused.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  if (!Object.isFrozen(strings) || !Array.isArray(strings.raw)) throw new TypeError('html is a template tag');
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return trust(out);
}

/** Trusts `markup` as HTML, unescaped: only for fragments the code itself wrote (the inline style). */
export function raw(markup: string): SafeHtml {
  return trust(markup);
}

/** Renders each item (escaping text) and joins them with `separator` (escaped too when it is text). */
export function joinHtml(items: readonly HtmlValue[], separator: HtmlValue): SafeHtml {
  const sep = render(separator);
  return trust(items.map(render).join(sep));
}

/**
 * The one rule for a value from outside (a claim, an IdP's answer, an argument
 * of the company's texts) that a page or its JSON shows: no character that
 * reorders or breaks the text around it. Here, below login/ and web/, because
 * both shape such values: the pages (web/) for everyone, the DRY_RUN views
 * (login/) for the operator.
 */

// Unicode's direction controls (the Arabic letter mark U+061C; the marks U+200E, U+200F; the embeddings and
// overrides U+202A–U+202E; the isolates U+2066–U+2069), the line and paragraph separators U+2028, U+2029,
// and the C0 and C1 controls, tab and newline included: a value on a page needs none of them. Shown raw, one
// turns the sentence around it; a stray U+2069 (PDI) ends the isolate the page puts around the value
// (<bdi>, `unicode-bidi:isolate`, FSI…PDI in text), so that the sentence's own words turn around too.
// eslint-disable-next-line no-control-regex
const UNSHOWN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `value` with each character that reorders or breaks text replaced by U+FFFD (the replacement character). */
export function shownValue(value: string): string {
  return value.replace(UNSHOWN, '\ufffd');
}

/**
 * `value` with each character that reorders or breaks text written as its
 * escape (`\u202E`), for the operator's views, which say what a claim held:
 * JSON.stringify leaves these characters as they are.
 */
export function escapedValue(value: string): string {
  return value.replace(UNSHOWN, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

/**
 * The language of a page, from the browser's `Accept-Language`: negotiator
 * (express's) weighs the q-values and takes a region to its language (`he-IL`
 * to `he`), case-insensitively, among the languages the company offers
 * (`PAGE_LANGUAGES`); a header that asks for none of them, or none at all,
 * gets `PAGE_DEFAULT_LANGUAGE`.
 */
import Negotiator from 'negotiator';
import { LANGUAGES, type Language } from '../config/page-catalogue.js';

/** The languages the pages are offered in, and the one for a browser that asks for none of them. */
export interface LanguageChoice {
  readonly languages?: readonly Language[] | undefined;
  readonly defaultLanguage?: Language | undefined;
}

/**
 * How much of `Accept-Language` is read: browsers send well under 200 characters;
 * the rest of a longer header (up to Node's 16 KiB of headers, on pages served
 * without a rate limit) is not worth parsing on every request.
 */
export const ACCEPT_LANGUAGE_READ = 512;

/** The header's whole entries within the first `ACCEPT_LANGUAGE_READ` characters. */
function firstEntries(header: string): string {
  if (header.length <= ACCEPT_LANGUAGE_READ) return header;
  const end = header.lastIndexOf(',', ACCEPT_LANGUAGE_READ);
  return end === -1 ? '' : header.slice(0, end);
}

/**
 * The language to ask the IdP for (`ui_locales`): the page language, except for a browser that asks for
 * none of the offered ones: then nothing, so an IdP that has the browser's own language uses it instead of
 * being told the pages' default.
 */
export function idpLanguage(acceptLanguage: string | undefined, choice: LanguageChoice): Language | undefined {
  if (acceptLanguage === undefined) return choice.defaultLanguage ?? 'en';
  return negotiated(acceptLanguage, choice);
}

/** The page language for a request with this `Accept-Language` header. */
export function pageLanguage(acceptLanguage: string | undefined, choice: LanguageChoice): Language {
  const fallback = choice.defaultLanguage ?? 'en';
  if (acceptLanguage === undefined || (choice.languages ?? LANGUAGES).length === 1) return fallback;
  return negotiated(acceptLanguage, choice) ?? fallback;
}

/** The offered language the header prefers; undefined when it accepts none of them. */
function negotiated(acceptLanguage: string, choice: LanguageChoice): Language | undefined {
  const fallback = choice.defaultLanguage ?? 'en';
  const offered = choice.languages ?? LANGUAGES;
  // The default first: for `*`, or equal weights, it is the one taken.
  const ordered = [fallback, ...offered.filter((l) => l !== fallback)];
  const [best] = new Negotiator({ headers: { 'accept-language': firstEntries(acceptLanguage) } }).languages(ordered);
  return best as Language | undefined;
}

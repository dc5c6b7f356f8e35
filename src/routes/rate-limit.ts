/**
 * The per-client rate limit of the routes that start or end a login (`RATE_LIMIT_MAX`
 * per `RATE_LIMIT_WINDOW_MS`); app.ts registers the plugin only while it is on.
 */

/** The rate limit of the login routes; false: off. */
export type RateLimit = false | { max: number; timeWindow: number };

/** As route options: the limit's config, or nothing when it is off. */
export const limited = (rateLimit: RateLimit) => (rateLimit ? { config: { rateLimit } } : {});

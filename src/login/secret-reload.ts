/**
 * Secrets rotated without a restart: the secret files are read again every
 * `SECRET_RELOAD_INTERVAL_SEC`, on SIGHUP (server.ts) and after a CommBox 401.
 * A changed file makes the configuration parse again with it, by the start-up
 * parsers and rules; a value they accept is handed to the part that uses it
 * (the next request, code exchange or sealed cookie takes it; a new Redis URL,
 * once a connection to it is ready), one they refuse (or a file gone or empty)
 * keeps the previous value, and says so. A Redis that cannot be used yet is
 * tried again at each read (it may come up after its URL was written).
 *
 * Polled, not watched: Kubernetes updates a mounted secret by swapping a `..data`
 * symlink, which a watch on the file never sees (the file it watches is not
 * replaced, its directory's link is), and inotify is absent on some volumes and
 * network filesystems. Reading a handful of small files every few seconds costs
 * nothing a login would notice, and it is off every login's path.
 */
import { readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CommboxClient } from '../commbox/client.js';
import {
  parseConfig,
  problemsOf,
  secretValues,
  type BridgeConfig,
  type Environment,
  type SecretFile,
} from '../config/parse.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../observability/log.js';
import type { OidcClient } from '../oidc/client.js';
import type { SharedState } from '../redis/shared-state.js';
import type { TransactionSealer } from './transaction.js';

/** The parts that use the secrets, each given a new value by a method of its own. */
export interface SecretUsers {
  readonly commbox: Pick<CommboxClient, 'setApiKey' | 'whenUnauthorized'>;
  /** Each IdP's client, by IdP name. */
  readonly oidc: ReadonlyMap<string, Pick<OidcClient, 'setCredentials'>>;
  readonly sealer: Pick<TransactionSealer, 'rotate'>;
  /** The Redis connection (`REDIS_URL`); undefined when Redis is not configured (then no `REDIS_URL_FILE` is read). */
  readonly redis?: Pick<SharedState, 'useUrl'> | undefined;
}

export interface SecretReloadOptions {
  /** The variables the configuration was parsed from (the secret files are read again, the rest is as it was). */
  readonly environment: Environment;
  readonly config: BridgeConfig;
  readonly users: SecretUsers;
  readonly logger: Logger;
  readonly audit: Logger;
  /** The loggers' list of values to scrub: each new secret value is added before anything is logged. */
  readonly scrubbed: string[];
  readonly registry: Registry;
  readonly readFile?: (path: string) => string;
}

/** When a secret file's current value was loaded, for the start-up line. */
export interface LoadedSecret {
  readonly secret: string;
  readonly idp?: string | undefined;
  readonly file: string;
  readonly loadedAt: string;
}

type Content = { readonly text: string } | { readonly error: NodeJS.ErrnoException };
const stateOf = (c: Content) => ('text' in c ? `t${c.text}` : `e${c.error.code ?? 'error'}`);

export class SecretReload {
  readonly #o: SecretReloadOptions;
  readonly #files: readonly SecretFile[];
  readonly #readFile: (path: string) => string;
  /** Each file's content in use (by variable), and when it was loaded. */
  readonly #applied = new Map<string, { content: Content; state: string; at: number }>();
  /** The state of each file whose content was refused, not to refuse it again at every read. */
  readonly #refused = new Map<string, string>();
  /**
   * The state and reason of each file whose refusal was said, not to say it again at every read (a new
   * REDIS_URL whose Redis cannot be reached is tried again at each read: it may come up later);
   * a file is here exactly while its content is refused.
   */
  readonly #said = new Map<string, string>();
  readonly #loadedGauge: Gauge;
  readonly #failures: Counter;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #keyRunning: Promise<void> | undefined;

  constructor(o: SecretReloadOptions) {
    this.#o = o;
    this.#files = o.config.secretFiles ?? [];
    this.#readFile = o.readFile ?? ((p) => readFileSync(p, 'utf8'));
    this.#loadedGauge = new Gauge({
      name: 'commbox_bridge_secret_loaded_timestamp_seconds',
      help: 'When the value in use of each secret read from a file was loaded (Unix time): at start-up, then at each accepted change of its file.',
      labelNames: ['secret'],
      registers: [o.registry],
    });
    this.#failures = new Counter({
      name: 'commbox_bridge_secret_reload_failures_total',
      help: 'Reads of a changed secret file whose new content is refused (bad value, file gone or empty, a new REDIS_URL whose Redis cannot be reached), counted at every read while it lasts: the previous value stays in use.',
      labelNames: ['secret'],
      registers: [o.registry],
    });
    // What the SecretNotReloaded alert reads: a state, not the failures counter, which moves only when
    // a file is read (with a long SECRET_RELOAD_INTERVAL_SEC, or `off`, most windows would see no increase).
    const refused = this.#said;
    const files = this.#files;
    new Gauge({
      name: 'commbox_bridge_secret_refused',
      help: "1 while a secret file's content is refused and the previous value stays in use (the log's secret_reload_failed says why); 0 while its content is the one in use.",
      labelNames: ['secret'],
      registers: [o.registry],
      collect() {
        for (const f of files) this.set({ secret: f.variable }, refused.has(f.variable) ? 1 : 0);
      },
    });
    const now = Date.now();
    for (const f of this.#files) {
      const content = this.#read(f.path);
      this.#applied.set(f.variable, { content, state: stateOf(content), at: now });
      this.#loadedGauge.set({ secret: f.variable }, Math.floor(now / 1000));
      this.#failures.inc({ secret: f.variable }, 0);
    }
    if (this.#files.some((f) => f.kind === 'commboxApiKey')) o.users.commbox.whenUnauthorized(() => this.#reloadKey());
    const every = o.config.secretReloadIntervalMs;
    if (every !== undefined && this.#files.length > 0) {
      this.#timer = setInterval(() => void this.reload(), every);
      this.#timer.unref();
    }
  }

  /** Each secret file, and when its value in use was loaded. */
  get loaded(): LoadedSecret[] {
    return this.#files.map((f) => ({
      secret: f.variable,
      idp: f.idp,
      file: f.path,
      loadedAt: new Date(this.#applied.get(f.variable)!.at).toISOString(),
    }));
  }

  /** Reads the secret files again and uses what changed and is accepted; concurrent calls share one read. */
  reload(): Promise<void> {
    this.#running ??= this.#guard(this.#reload()).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * After a CommBox 401, on the login's path: the key's file alone (the others as in use), never
   * waiting on a full read, whose new Redis connection may take seconds; concurrent 401s share one read.
   */
  #reloadKey(): Promise<void> {
    this.#keyRunning ??= this.#guard(this.#reload((f) => f.kind === 'commboxApiKey')).finally(() => {
      this.#keyRunning = undefined;
    });
    return this.#keyRunning;
  }

  #guard(reading: Promise<void>): Promise<void> {
    return reading.catch((e: unknown) => {
      this.#o.logger.error({ event: 'secret_reload_error', err: e }, 'reading the secret files again failed');
    });
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #read(path: string): Content {
    try {
      return { text: this.#readFile(path) };
    } catch (e) {
      return { error: e as NodeJS.ErrnoException };
    }
  }

  /** Reads the files `only` picks (all by default) again; the others count as their values in use. */
  async #reload(only: (f: SecretFile) => boolean = () => true): Promise<void> {
    // What each file holds now; a file not changed (or changed to what was refused already) is read as in use.
    const contents = new Map<string, Content>();
    const read = new Map<SecretFile, Content>();
    let pending: SecretFile[] = [];
    for (const f of this.#files) {
      const applied = this.#applied.get(f.variable)!;
      if (!only(f)) {
        contents.set(f.path, applied.content);
        continue;
      }
      const content = this.#read(f.path);
      read.set(f, content);
      const state = stateOf(content);
      if (state === applied.state) {
        this.#refused.delete(f.variable);
        this.#said.delete(f.variable);
      }
      if (state === applied.state || state === this.#refused.get(f.variable)) contents.set(f.path, applied.content);
      else {
        contents.set(f.path, content);
        pending.push(f);
        // Scrubbed before anything is logged, whether it is accepted or not.
        if ('text' in content && f.kind !== 'clientKey' && f.kind !== 'clientCertificate') this.#scrub(content.text);
      }
    }
    // A refused file is judged again with a changed file it is judged with: the client key and
    // certificate are a pair, and each alone is refused until the other one follows (either order).
    const changed = [...pending];
    for (const f of this.#files) {
      if (!only(f) || changed.includes(f) || !this.#refused.has(f.variable)) continue;
      if (changed.some((c) => c.judgedBy.some((v) => f.judgedBy.includes(v)))) {
        contents.set(f.path, read.get(f)!);
        pending.push(f);
      } else this.#failures.inc({ secret: f.variable }); // still refused: counted at every read (the alert fires while it lasts), said once
    }
    while (pending.length > 0) {
      const { config, problems: parsed = [] } = this.#parse(contents);
      if (config !== undefined) return this.#use(pending, config, contents);
      const refused = pending.filter((f) => problemsOf(f, parsed).length > 0);
      if (refused.length === 0) {
        // A problem of a variable that is not a changed secret: nothing new can be used.
        const others = parsed.map((p) => `${p.variable}: ${p.problem}`).join('; ');
        for (const f of pending) this.#refuse(f, contents, `the configuration no longer parses (${others})`);
        return;
      }
      for (const f of refused) {
        const why = problemsOf(f, parsed)
          .map((p) => `${p.variable}: ${p.problem}`)
          .join('; ');
        this.#refuse(f, contents, why);
      }
      pending = pending.filter((f) => !refused.includes(f));
    }
  }

  /** The configuration with `contents` for the secret files, or its problems. */
  #parse(contents: ReadonlyMap<string, Content>): { config?: BridgeConfig; problems?: ConfigError['problems'] } {
    const read = (path: string): string => {
      const c = contents.get(path);
      if (c === undefined) return this.#readFile(path);
      if ('error' in c) throw c.error;
      return c.text;
    };
    try {
      return { config: parseConfig(this.#o.environment, read) };
    } catch (e) {
      if (e instanceof ConfigError) return { problems: e.problems };
      throw e;
    }
  }

  /**
   * Hands each of `files` new value in `next` to its user, and records each as in use as soon as
   * it is: one user that fails (tried again at the next read) leaves the others recorded and said.
   */
  async #use(files: readonly SecretFile[], next: BridgeConfig, contents: Map<string, Content>): Promise<void> {
    for (const v of secretValues(next)) this.#scrub(v);
    const { users } = this.#o;
    const inUse = (f: SecretFile) => {
      const content = contents.get(f.path)!;
      const now = Date.now();
      this.#applied.set(f.variable, { content, state: stateOf(content), at: now });
      this.#said.delete(f.variable);
      this.#loadedGauge.set({ secret: f.variable }, Math.floor(now / 1000));
      this.#o.audit.info({ event: 'secret_reloaded', secret: f.variable, idp: f.idp }, 'secret reloaded');
    };
    for (const f of files) {
      if (f.kind === 'commboxApiKey') users.commbox.setApiKey(next.commbox.apiKey);
      else if (f.kind === 'cookieSecret') users.sealer.rotate(next.cookieSecrets);
      else continue;
      inUse(f);
    }
    for (const name of new Set(files.flatMap((f) => (f.idp === undefined ? [] : [f.idp])))) {
      const mine = files.filter((f) => f.idp === name);
      const o = next.idps.find((i) => i.name === name)!.oidc;
      try {
        await users.oidc.get(name)!.setCredentials({
          clientSecret: o.clientSecret,
          clientPrivateKey: o.clientPrivateKey,
          clientPrivateKeyKid: o.clientPrivateKeyKid,
          clientCertificate: o.clientCertificate,
        });
      } catch (e) {
        for (const f of mine)
          this.#refuse(f, contents, `the IdP's client could not take it: ${(e as Error).message}`, true);
        continue;
      }
      mine.forEach(inUse);
    }
    // Last: a new Redis connection may take a few seconds to be ready (or refused); the others are in use already.
    const redis = files.find((f) => f.kind === 'redisUrl');
    if (redis === undefined) return;
    const moved = (await users.redis?.useUrl(next.redis!.url)) ?? {
      ok: false,
      detail: 'no Redis connection was open at start-up: restart to use Redis',
    };
    // Not refused for good: tried again at the next read (the new Redis may not be up yet, or not know its password yet).
    if (moved.ok) inUse(redis);
    else this.#refuse(redis, contents, `the new Redis cannot be used: ${moved.detail}`, true);
  }

  /**
   * Keeps `f`'s previous value, and says why (never the value), once per new content;
   * `retry`: its content is tried again at the next read rather than refused at once.
   */
  #refuse(f: SecretFile, contents: Map<string, Content>, problem: string, retry = false): void {
    const applied = this.#applied.get(f.variable)!;
    const state = stateOf(contents.get(f.path)!);
    if (!retry) this.#refused.set(f.variable, state);
    contents.set(f.path, applied.content);
    this.#failures.inc({ secret: f.variable });
    // Said again when the reason changes (a new Redis that refused the connection now refuses the password).
    const said = `${state}\n${problem}`;
    if (this.#said.get(f.variable) === said) return;
    this.#said.set(f.variable, said);
    const fields = { event: 'secret_reload_failed', secret: f.variable, idp: f.idp, problem };
    this.#o.logger.error(fields, `${f.variable}: the new content is not used (${problem}); the previous value is kept`);
    this.#o.audit.warn(fields, 'secret reload failed: kept the previous value');
  }

  /** Adds a value (and its comma-separated parts, as COOKIE_SECRET lists) to the loggers' scrub list. */
  #scrub(text: string): void {
    for (const v of [text.trim(), ...text.split(',').map((s) => s.trim())])
      if (v !== '' && !this.#o.scrubbed.includes(v)) this.#o.scrubbed.push(v);
  }
}

// The configuration file: YAML or JSON, `${ENV}` expansion, a `.env` beside it, strict validation.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type CoinProfile, getCoinProfile, type Network } from './coins.js';
import { ConfigError } from './errors.js';
import { parseAmount } from './money.js';

export const configBytesMax = 1_048_576;
/** Deposits are tracked until this depth unless the coin says otherwise (or needs more). */
export const maxConfirmationCountDefault = 15;
const envNamePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const port = z.number().int().min(1).max(65_535);
const host = z.string().min(1).max(255);

const walletnotifySchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    host: host.default('127.0.0.1'),
    port,
    secret_path: z.string().min(1).max(200).optional(),
    body_bytes_max: z.number().int().min(64).max(65_536).default(1_024),
  }),
  z.strictObject({ type: z.literal('pipe'), path: z.string().min(1) }),
  z.strictObject({
    type: z.literal('redis'),
    url: z.string().min(1).default('redis://127.0.0.1:6379'),
    channel: z.string().min(1),
  }),
]);

const backendSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('bitcoind'),
    url: z.string().url(),
    timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
    walletnotify: walletnotifySchema.optional(),
  }),
  z.strictObject({ type: z.literal('offline'), balance: z.string().max(64).optional() }),
  // A devnet served through the bitcoind backend: `url` names a running node's RPC; without it
  // the service starts `nodes` embedded nodes in `datadir` and points the backend at the first.
  z.strictObject({
    type: z.literal('devnet'),
    url: z.string().url().optional(),
    nodes: z.number().int().min(1).max(16).default(1),
    datadir: z.string().min(1).max(4_096).optional(),
    timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
    walletnotify: walletnotifySchema.optional(),
  }),
]);

const coinSchema = z
  .strictObject({
    backend: backendSchema.optional(),
    confirmations: z.number().int().min(0).max(1_000).default(3),
    max_confirmation_count: z.number().int().min(0).max(10_000).optional(),
    testnet: z.boolean().optional(),
    network: z.enum(['mainnet', 'testnet', 'regtest']).optional(),
  })
  .refine((coin) => (coin.max_confirmation_count ?? coin.confirmations) >= coin.confirmations, {
    message: 'max_confirmation_count must be at least confirmations',
    path: ['max_confirmation_count'],
  })
  .refine(
    (coin) =>
      coin.testnet === undefined ||
      coin.network === undefined ||
      (coin.network === 'testnet') === coin.testnet,
    {
      message: 'testnet and network disagree; give only network',
      path: ['testnet'],
    },
  );

const eventHandlerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    url: z.string().url(),
    secret: z.string().min(16).optional(),
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  }),
  z.strictObject({
    type: z.literal('script'),
    script: z.string().min(1),
    timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
  }),
  z.strictObject({
    type: z.literal('callback'),
    module: z.string().min(1),
    export: z.string().min(1),
  }),
]);

const witnessKeySchema = z.strictObject({
  public: z.string().min(8).max(128),
  private: z.string().min(1).max(256).optional(),
});

const witnessProfileSchema = z.strictObject({
  family: z.enum(['bitshares', 'steem']),
  prefix: z.string().regex(/^[A-Z]{2,8}$/, 'a prefix is 2 to 8 capital letters'),
  chain_id: z.string().regex(/^[0-9a-f]{64}$/, 'a chain id is 64 lower-case hex digits'),
  core_symbol: z.string().min(1).max(16),
  wire_symbol: z.string().min(1).max(7).optional(),
  precision: z.number().int().min(0).max(18).default(3),
  witness_update_op_id: z.number().int().min(0).max(255),
  witness_set_properties_op_id: z.number().int().min(0).max(255).nullable().default(null),
  legacy_props: z.enum(['steem', 'hive', 'blurt', 'vit', 'none']).default('none'),
  block_interval_s: z.number().min(0.05).max(600).default(3),
});

const witnessSchema = z
  .strictObject({
    chain: z.enum(['bitshares', 'hive', 'steem', 'blurt', 'vit', 'custom']),
    profile: witnessProfileSchema.optional(),
    account: z.string().min(1).max(64),
    nodes: z.array(z.string().url()).min(1).max(8),
    signing_keys: z.array(witnessKeySchema).min(1).max(16),
    active_key: z.string().min(1).max(256).optional(),
    switch_after_misses: z.number().int().min(1).max(10_000).default(1),
    reset_after_clean_checks: z.number().int().min(1).max(1_000_000).default(120),
    kill_switch_after_misses: z.number().int().min(1).max(1_000_000).optional(),
    mode: z.enum(['rotate', 'failover']).default('rotate'),
    failover: z
      .strictObject({
        primary_threshold: z.number().int().min(0).max(1_000_000_000),
        backup_threshold: z.number().int().min(0).max(1_000_000_000),
      })
      .optional(),
    verify_after_blocks: z.number().int().min(1).max(100).default(3),
    verify_retries_max: z.number().int().min(0).max(20).default(3),
    stale_after_s: z.number().min(1).max(86_400).optional(),
    dry_run: z.boolean().default(false),
    notify: z.array(z.string().min(1).max(64)).max(16).default([]),
    email: z
      .strictObject({
        smtp: z.string().regex(/^smtps?:\/\/\S+$/, 'expected an smtp:// or smtps:// URL'),
        from: z.string().min(3).max(254),
        to: z.array(z.string().min(3).max(254)).min(1).max(16),
      })
      .optional(),
    log_file: z.string().min(1).max(4_096).optional(),
  })
  .refine((w) => (w.chain === 'custom') === (w.profile !== undefined), {
    message: 'a profile is given exactly when chain is custom',
    path: ['profile'],
  })
  .refine((w) => w.mode !== 'failover' || w.failover !== undefined, {
    message: 'mode failover needs failover: { primary_threshold, backup_threshold }',
    path: ['failover'],
  })
  .refine((w) => w.mode !== 'failover' || w.signing_keys.length >= 2, {
    message: 'mode failover needs a primary and a backup key',
    path: ['signing_keys'],
  })
  .refine(
    (w) => w.failover === undefined || w.failover.backup_threshold >= w.failover.primary_threshold,
    { message: 'backup_threshold must be at least primary_threshold', path: ['failover'] },
  );

const fileSchema = z.strictObject({
  database: z
    .strictObject({ url: z.string().min(1) })
    .default({ url: 'sqlite:./data/cryptoassets.sqlite' }),
  coins: z
    .record(
      z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'coin names are lower-case letters and digits'),
      coinSchema,
    )
    .default({}),
  events: z.record(z.string().min(1).max(64), eventHandlerSchema).default({}),
  status_server: z
    .strictObject({
      host: host.default('127.0.0.1'),
      port: port.default(18_881),
      token: z.string().min(16).optional(),
    })
    .optional(),
  service: z
    .strictObject({
      broadcast_period_s: z.number().min(1).max(86_400).default(30),
      confirmation_poll_s: z.number().min(1).max(86_400).default(60),
      /** How often expired holds are released. */
      hold_expiry_s: z.number().min(1).max(86_400).default(5),
      logging: z
        .strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') })
        .default({ level: 'info' }),
    })
    .optional(),
  witnesses: z
    .record(
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'guard names are lower-case letters, digits, - and _'),
      witnessSchema,
    )
    .default({}),
});

type FileConfig = z.infer<typeof fileSchema>;
export type BackendConfig = NonNullable<FileConfig['coins'][string]['backend']>;
export type EventHandlerConfig = FileConfig['events'][string];
/** One guard under `witnesses`, as written in the file (snake_case, defaults filled in). */
export type WitnessConfig = FileConfig['witnesses'][string];

export type CoinConfig = {
  readonly symbol: string;
  readonly profile: CoinProfile;
  readonly network: Network;
  readonly confirmations: number;
  readonly maxConfirmationCount: number;
  readonly backend: BackendConfig | undefined;
};

export type Config = {
  /** Path of the file the configuration came from; undefined for the built-in defaults. */
  readonly source: string | undefined;
  readonly database: { readonly url: string };
  readonly coins: Readonly<Record<string, CoinConfig>>;
  readonly events: Readonly<Record<string, EventHandlerConfig>>;
  readonly statusServer: FileConfig['status_server'];
  readonly service: FileConfig['service'];
  /** Witness guards by name; empty when none are configured. */
  readonly witnesses: Readonly<Record<string, WitnessConfig>>;
};

export type LoadConfigOptions = {
  /** Environment used for `${NAME}`; defaults to `process.env` merged over the `.env` file. */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

/** Reads, expands and validates a configuration file. Throws `ConfigError` naming the bad field. */
export function loadConfigFile(path: string, options: LoadConfigOptions = {}): Config {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new ConfigError(oneLine(`config file not found: ${path}`));
  const text = readText(absolute);
  const dotenvPath = resolve(dirname(absolute), '.env');
  const env = options.env ?? {
    ...(existsSync(dotenvPath) ? parseDotenv(readText(dotenvPath)) : {}),
    ...process.env,
  };
  return parseConfigText(text, { source: absolute, env });
}

/** Reads a file as UTF-8; a directory or an unreadable file is a `ConfigError`, not a raw error. */
function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(oneLine(`cannot read ${path}: ${reason}`), { cause: error });
  }
}

/** Keeps a message on one line: a line break inside a key or a path is shown escaped. */
function oneLine(text: string): string {
  return text.replace(
    /[\n\v\f\r\u0085\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export type ParseConfigOptions = {
  readonly source?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
};

/** Parses configuration text (YAML, of which JSON is a subset) and validates it. */
export function parseConfigText(text: string, options: ParseConfigOptions = {}): Config {
  const where = options.source ?? 'config';
  if (Buffer.byteLength(text) > configBytesMax)
    throw new ConfigError(oneLine(`${where}: file is larger than ${configBytesMax} bytes`));
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new ConfigError(oneLine(`${where}: not valid YAML or JSON: ${reason}`), { cause: error });
  }
  const expanded = expandEnv(raw ?? {}, options.env ?? process.env, []);
  return validateConfig(expanded, options.source);
}

/** Validates an already-parsed configuration object. */
export function validateConfig(raw: unknown, source?: string): Config {
  const where = source ?? 'config';
  const result = fileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new ConfigError(oneLine(`${where}: ${path}: ${issue?.message ?? 'invalid'}`), {
      cause: result.error,
    });
  }
  return normalize(result.data, source);
}

function normalize(file: FileConfig, source: string | undefined): Config {
  const coins: Record<string, CoinConfig> = {};
  for (const [symbol, coin] of Object.entries(file.coins)) {
    const profile = getCoinProfile(symbol);
    if (!profile)
      throw new ConfigError(
        `${source ?? 'config'}: coins.${symbol}: unknown coin (known: btc, ltc, doge)`,
      );
    const network: Network = coin.network ?? (coin.testnet ? 'testnet' : 'mainnet');
    if (coin.backend?.type === 'offline' && coin.backend.balance !== undefined) {
      const field = `${source ?? 'config'}: coins.${symbol}.backend.balance`;
      try {
        parseAmount(coin.backend.balance, {
          field,
          decimals: profile.decimals,
          sign: 'non-negative',
        });
      } catch (error) {
        throw new ConfigError((error as Error).message, { cause: error });
      }
    }
    coins[symbol] = {
      symbol,
      profile,
      network,
      confirmations: coin.confirmations,
      maxConfirmationCount:
        coin.max_confirmation_count ?? Math.max(maxConfirmationCountDefault, coin.confirmations),
      backend: coin.backend,
    };
  }
  const database = { url: resolveDatabaseUrl(file.database.url, source) };
  return {
    source,
    database,
    coins,
    events: file.events,
    statusServer: file.status_server,
    service: file.service,
    witnesses: checkWitnessNotify(file, source),
  };
}

/** Every handler a guard notifies must exist under `events`; a relative log file is taken from the config file's folder. */
function checkWitnessNotify(
  file: FileConfig,
  source: string | undefined,
): Record<string, WitnessConfig> {
  const witnesses: Record<string, WitnessConfig> = {};
  for (const [name, witness] of Object.entries(file.witnesses)) {
    witnesses[name] =
      witness.log_file === undefined || source === undefined || isAbsolute(witness.log_file)
        ? witness
        : { ...witness, log_file: resolve(dirname(source), witness.log_file) };
    witness.notify.forEach((handler, index) => {
      if (!Object.hasOwn(file.events, handler))
        throw new ConfigError(
          oneLine(
            `${source ?? 'config'}: witnesses.${name}.notify.${index}: no event handler named ${handler} under events`,
          ),
        );
    });
  }
  return witnesses;
}

/** Makes a relative `sqlite:` path relative to the config file's folder. */
function resolveDatabaseUrl(url: string, source: string | undefined): string {
  if (!url.startsWith('sqlite:')) return url;
  const path = url.slice('sqlite:'.length);
  if (path === ':memory:' || isAbsolute(path) || source === undefined) return url;
  return `sqlite:${resolve(dirname(source), path)}`;
}

function expandEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: string[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(envNamePattern, (_, name: string) => {
      const found = env[name];
      if (found === undefined)
        throw new ConfigError(
          oneLine(`${path.join('.') || '(top level)'}: environment variable ${name} is not set`),
        );
      return found;
    });
  }
  if (Array.isArray(value))
    return value.map((item, index) => expandEnv(item, env, [...path, String(index)]));
  if (value !== null && typeof value === 'object') {
    // fromEntries keeps a `__proto__` key as an own key, so the schema still refuses it.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandEnv(item, env, [...path, key])]),
    );
  }
  return value;
}

/** Parses a `.env` file: `NAME=value` lines, `#` comments, optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const [, name = '', rawValue = ''] = match;
    out[name] = rawValue.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** The built-in configuration used when no file exists: SQLite under ./data, no coins yet. */
export function defaultConfig(): Config {
  return validateConfig({});
}

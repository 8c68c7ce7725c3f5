// The configuration file: normalization, `${ENV}` and `.env`, one-line errors for every mistake.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { coinProfiles } from './coins.js';
import {
  type Config,
  configBytesMax,
  defaultConfig,
  loadConfigFile,
  parseConfigText,
  parseDotenv,
  validateConfig,
} from './config.js';
import { ConfigError } from './errors.js';

const fullYaml = `
database:
  url: sqlite:./data/cryptoassets.sqlite
coins:
  ltc:
    backend:
      type: bitcoind
      url: http://user:\${RPC_PASSWORD}@127.0.0.1:9332/wallet/cryptoassets
      walletnotify: { type: http, host: 127.0.0.1, port: 28882 }
    confirmations: 3
    max_confirmation_count: 15
    testnet: false
events:
  shop: { type: http, url: http://127.0.0.1:10000/events, secret: "\${WEBHOOK_SECRET}" }
  audit-log: { type: script, script: ./on-event.sh }
status_server: { host: 127.0.0.1, port: 18881 }
service: { broadcast_period_s: 30, confirmation_poll_s: 60, logging: { level: info } }
`;

const env = { RPC_PASSWORD: 'rpc-password', WEBHOOK_SECRET: 'webhook-secret-0123456789' };
const configFolder = resolve('/srv/cryptoassets');
const source = join(configFolder, 'cryptoassets.yaml');

function expectedFullConfig(from: string | undefined, databaseUrl: string): Config {
  return {
    source: from,
    database: { url: databaseUrl },
    coins: {
      ltc: {
        symbol: 'ltc',
        profile: coinProfiles.ltc!,
        network: 'mainnet',
        confirmations: 3,
        maxConfirmationCount: 15,
        backend: {
          type: 'bitcoind',
          url: 'http://user:rpc-password@127.0.0.1:9332/wallet/cryptoassets',
          timeout_ms: 30_000,
          walletnotify: { type: 'http', host: '127.0.0.1', port: 28_882, body_bytes_max: 1_024 },
        },
      },
    },
    events: {
      shop: {
        type: 'http',
        url: 'http://127.0.0.1:10000/events',
        secret: 'webhook-secret-0123456789',
        timeout_ms: 10_000,
      },
      'audit-log': { type: 'script', script: './on-event.sh', timeout_ms: 30_000 },
    },
    statusServer: { host: '127.0.0.1', port: 18_881 },
    service: {
      broadcast_period_s: 30,
      confirmation_poll_s: 60,
      hold_expiry_s: 5,
      logging: { level: 'info' },
    },
    witnesses: {},
  };
}

/** Runs `run` and returns the `ConfigError` it throws, after checking its message is one line. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('CONFIG');
    expect(configError.shortMessage).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(configError.shortMessage.length).toBeGreaterThan(0);
    return configError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** Parses YAML with a test environment; the coin and the event are there unless replaced. */
function parse(yaml: string): Config {
  return parseConfigText(yaml, { env });
}

describe('parseConfigText', () => {
  it('normalizes a full YAML file into the camelCase Config', () => {
    const config = parseConfigText(fullYaml, { source, env });
    const databaseUrl = `sqlite:${join(configFolder, 'data', 'cryptoassets.sqlite')}`;
    expect(config).toStrictEqual(expectedFullConfig(source, databaseUrl));
  });

  it('reads the same configuration from JSON', () => {
    const json = JSON.stringify({
      database: { url: 'sqlite:./data/cryptoassets.sqlite' },
      coins: {
        ltc: {
          backend: {
            type: 'bitcoind',
            url: `http://user:\${RPC_PASSWORD}@127.0.0.1:9332/wallet/cryptoassets`,
            walletnotify: { type: 'http', host: '127.0.0.1', port: 28882 },
          },
          confirmations: 3,
          max_confirmation_count: 15,
          testnet: false,
        },
      },
      events: {
        shop: { type: 'http', url: 'http://127.0.0.1:10000/events', secret: `\${WEBHOOK_SECRET}` },
        'audit-log': { type: 'script', script: './on-event.sh' },
      },
      status_server: { host: '127.0.0.1', port: 18881 },
      service: {
        broadcast_period_s: 30,
        confirmation_poll_s: 60,
        hold_expiry_s: 5,
        logging: { level: 'info' },
      },
    });
    expect(parseConfigText(json, { env })).toStrictEqual(
      expectedFullConfig(undefined, 'sqlite:./data/cryptoassets.sqlite'),
    );
  });

  it('gives the built-in defaults for an empty file', () => {
    const expected = {
      source: undefined,
      database: { url: 'sqlite:./data/cryptoassets.sqlite' },
      coins: {},
      events: {},
      statusServer: undefined,
      service: undefined,
      witnesses: {},
    };
    expect(parseConfigText('', { env })).toStrictEqual(expected);
    expect(parseConfigText('# only a comment\n', { env })).toStrictEqual(expected);
    expect(defaultConfig()).toStrictEqual(expected);
  });

  it('fills the defaults of a coin and chooses its network', () => {
    const config = parse(`
coins:
  btc: {}
  ltc: { testnet: true }
  doge: { network: regtest, confirmations: 1, max_confirmation_count: 1 }
`);
    expect(config.coins.btc).toMatchObject({ network: 'mainnet', confirmations: 3 });
    expect(config.coins.btc).toMatchObject({ maxConfirmationCount: 15, backend: undefined });
    expect(config.coins.ltc?.network).toBe('testnet');
    expect(config.coins.ltc?.profile).toBe(coinProfiles.ltc);
    expect(config.coins.doge).toMatchObject({ network: 'regtest', maxConfirmationCount: 1 });
  });

  it('accepts network and testnet when they agree', () => {
    expect(parse('coins: { ltc: { network: testnet, testnet: true } }').coins.ltc?.network).toBe(
      'testnet',
    );
    expect(parse('coins: { ltc: { network: regtest, testnet: false } }').coins.ltc?.network).toBe(
      'regtest',
    );
  });
});

describe('environment expansion', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it(`expands every \${NAME} in a value, and only that syntax`, () => {
    const config = parseConfigText(`database: { url: "postgresql://\${USER_NAME}@\${HOST}/$DB" }`, {
      env: { USER_NAME: 'app', HOST: 'db.example' },
    });
    expect(config.database.url).toBe('postgresql://app@db.example/$DB');
  });

  it('expands a variable set to the empty string', () => {
    const config = parseConfigText(`database: { url: "sqlite::memory:\${SUFFIX}" }`, {
      env: { SUFFIX: '' },
    });
    expect(config.database.url).toBe('sqlite::memory:');
  });

  it('expands inside lists and nested objects', () => {
    const config = parseConfigText(fullYaml, { env: { ...env, RPC_PASSWORD: 'p@ss' } });
    const backend = config.coins.ltc?.backend;
    expect(backend?.type === 'bitcoind' && backend.url).toBe(
      'http://user:p@ss@127.0.0.1:9332/wallet/cryptoassets',
    );
  });

  it('names the path and the variable when a variable is not set', () => {
    const error = configError(() =>
      parseConfigText(fullYaml, { env: { WEBHOOK_SECRET: env.WEBHOOK_SECRET } }),
    );
    expect(error.shortMessage).toContain('coins.ltc.backend.url');
    expect(error.shortMessage).toContain('RPC_PASSWORD');
    expect(error.shortMessage).toMatch(/not set/);
  });

  it(`needs quotes around \${NAME} inside a flow mapping, where braces are YAML syntax`, () => {
    const unquoted = `events: { shop: { type: http, url: "http://h/", secret: \${SECRET} } }`;
    const error = configError(() => parseConfigText(unquoted, { env: { SECRET: 'x'.repeat(16) } }));
    expect(error.shortMessage).toMatch(/not valid YAML/);
    const quoted = unquoted.replace(`\${SECRET}`, `"\${SECRET}"`);
    const shop = parseConfigText(quoted, { env: { SECRET: 'x'.repeat(16) } }).events.shop;
    expect(shop?.type === 'http' && shop.secret).toBe('x'.repeat(16));
  });

  it('names the top level when the whole document is a missing variable', () => {
    const error = configError(() => parseConfigText(`\${NOTHING}`, { env: {} }));
    expect(error.shortMessage).toContain('(top level)');
    expect(error.shortMessage).toContain('NOTHING');
  });

  it('reads process.env when no environment is given', () => {
    vi.stubEnv('CRYPTOASSETS_TEST_DB_URL', 'postgresql://from-process/db');
    const config = parseConfigText(`database: { url: "\${CRYPTOASSETS_TEST_DB_URL}" }`);
    expect(config.database.url).toBe('postgresql://from-process/db');
  });
});

describe('validation errors', () => {
  it.each([
    ['a misspelled top-level key', 'databse: { url: "sqlite::memory:" }', '(top level)', 'databse'],
    ['a key the design does not have', 'telegram: {}', '(top level)', 'telegram'],
    ['an unknown database key', 'database: { url: x, pool: 5 }', 'database', 'pool'],
    [
      'an unknown walletnotify key',
      'coins: { ltc: { backend: { type: bitcoind, url: "http://h:1/", ' +
        'walletnotify: { type: http, port: 1, secret: x } } } }',
      'coins.ltc.backend.walletnotify',
      'secret',
    ],
    [
      'an unknown event handler key',
      'events: { shop: { type: script, script: ./a.sh, args: [] } }',
      'events.shop',
      'args',
    ],
    [
      'an unknown logging key',
      'service: { logging: { level: info, file: x } }',
      'service.logging',
      'file',
    ],
  ])('refuses %s, naming the path and the key', (_, yaml, path, key) => {
    const error = configError(() => parse(yaml));
    expect(error.shortMessage).toContain(`config: ${path}: `);
    expect(error.shortMessage).toContain(`"${key}"`);
    expect(error.shortMessage).toMatch(/Unrecognized key/);
  });

  it.each([
    [
      'a word for a number',
      'coins: { ltc: { confirmations: three } }',
      'coins.ltc.confirmations',
      /expected number/,
    ],
    [
      'a fraction for an integer',
      'coins: { ltc: { confirmations: 1.5 } }',
      'coins.ltc.confirmations',
      /expected int/,
    ],
    [
      'a negative depth',
      'coins: { ltc: { confirmations: -1 } }',
      'coins.ltc.confirmations',
      />=\s*0/,
    ],
    [
      'a string for a boolean',
      'coins: { ltc: { testnet: "yes" } }',
      'coins.ltc.testnet',
      /expected boolean/,
    ],
    ['an unknown network', 'coins: { ltc: { network: signet } }', 'coins.ltc.network', /mainnet/],
    ['a port out of range', 'status_server: { port: 70000 }', 'status_server.port', /65535/],
    [
      'a port as a string',
      'status_server: { port: "18881" }',
      'status_server.port',
      /expected number/,
    ],
    [
      'an unknown backend type',
      'coins: { ltc: { backend: { type: electrum } } }',
      'coins.ltc.backend.type',
      /bitcoind/,
    ],
    [
      'a backend URL that is not a URL',
      'coins: { ltc: { backend: { type: bitcoind, url: "not a url" } } }',
      'coins.ltc.backend.url',
      /URL/i,
    ],
    ['an unknown event type', 'events: { shop: { type: email } }', 'events.shop.type', /http/],
    [
      'a short webhook secret',
      'events: { shop: { type: http, url: "http://h/", secret: short } }',
      'events.shop.secret',
      /16/,
    ],
    [
      'an unknown log level',
      'service: { logging: { level: verbose } }',
      'service.logging.level',
      /info/,
    ],
    ['a string for the database section', 'database: sqlite', 'database', /expected object/],
    ['a list for the whole file', '- a\n- b', '(top level)', /expected object/],
    ['a scalar for the whole file', 'hello', '(top level)', /expected object/],
  ])('refuses %s, naming the field and what was expected', (_, yaml, path, expected) => {
    const error = configError(() => parse(yaml));
    expect(error.shortMessage).toContain(`config: ${path}: `);
    expect(error.shortMessage).toMatch(expected);
  });

  it('refuses an unknown coin and a coin name that is not lower-case', () => {
    expect(configError(() => parse('coins: { xrp: {} }')).shortMessage).toBe(
      'config: coins.xrp: unknown coin (known: btc, ltc, doge)',
    );
    expect(configError(() => parse('coins: { LTC: {} }')).shortMessage).toContain('coins.LTC');
  });

  it('refuses max_confirmation_count below confirmations', () => {
    const yaml = 'coins: { ltc: { confirmations: 6, max_confirmation_count: 3 } }';
    const error = configError(() => parse(yaml));
    expect(error.shortMessage).toBe(
      'config: coins.ltc.max_confirmation_count: ' +
        'max_confirmation_count must be at least confirmations',
    );
  });

  it('tracks deposits at least to the crediting depth when max_confirmation_count is left out', () => {
    expect(parse('coins: { ltc: { confirmations: 20 } }').coins.ltc?.maxConfirmationCount).toBe(20);
    expect(parse('coins: { ltc: { confirmations: 2 } }').coins.ltc?.maxConfirmationCount).toBe(15);
  });

  it('refuses testnet and network that disagree', () => {
    for (const yaml of [
      'coins: { ltc: { testnet: true, network: mainnet } }',
      'coins: { ltc: { testnet: true, network: regtest } }',
      'coins: { ltc: { testnet: false, network: testnet } }',
    ]) {
      const error = configError(() => parse(yaml));
      expect(error.shortMessage).toContain('coins.ltc.testnet: testnet and network disagree');
    }
  });

  it('checks the play balance of an offline backend as an amount of the coin', () => {
    const yaml = (balance: string) =>
      `coins: { ltc: { backend: { type: offline, balance: "${balance}" } } }`;
    expect(parse(yaml('1.5')).coins.ltc?.backend).toEqual({ type: 'offline', balance: '1.5' });
    for (const bad of ['0.000000001', '-1', '1e3']) {
      const error = configError(() => parse(yaml(bad)));
      expect(error.shortMessage).toContain('coins.ltc.backend.balance');
    }
  });

  it('names the source file in the message', () => {
    const error = configError(() => parseConfigText('coins: { xrp: {} }', { source, env }));
    expect(error.shortMessage.startsWith(`${source}: coins.xrp: `)).toBe(true);
  });

  it('keeps a key with a line break on one line', () => {
    const unknown = configError(() => validateConfig({ 'data\nbase': {} }));
    expect(unknown.shortMessage).toContain('data\\u000abase');
    const nested = configError(() => validateConfig({ events: { 'a\r\nb': { type: 'mail' } } }));
    expect(nested.shortMessage).toContain('events.a\\u000d\\u000ab.type');
    const missing = configError(() =>
      parseConfigText(`database: { "u\\u2028rl": "\${NOT_SET}" }`, { env: {} }),
    );
    expect(missing.shortMessage).toContain('database.u\\u2028rl');
  });

  it('refuses a __proto__ key instead of reading it as the prototype', () => {
    for (const text of [
      '{ "__proto__": { "database": { "url": "postgresql://smuggled/db" } } }',
      '__proto__: { database: { url: "postgresql://smuggled/db" } }',
    ]) {
      const error = configError(() => parse(text));
      expect(error.shortMessage).toContain('"__proto__"');
    }
  });
});

describe('paths and limits', () => {
  it('resolves a relative sqlite path against the config file folder', () => {
    const url = (database: string) =>
      parseConfigText(`database: { url: "${database}" }`, { source, env }).database.url;
    expect(url('sqlite:./data/books.sqlite')).toBe(
      `sqlite:${join(configFolder, 'data', 'books.sqlite')}`,
    );
    expect(url('sqlite:books.sqlite')).toBe(`sqlite:${join(configFolder, 'books.sqlite')}`);
    expect(url('sqlite:../books.sqlite')).toBe(
      `sqlite:${resolve(configFolder, '..', 'books.sqlite')}`,
    );
  });

  it('leaves absolute and in-memory sqlite, other databases and source-less text alone', () => {
    const url = (database: string, from?: string) =>
      parseConfigText(`database: { url: "${database}" }`, from ? { source: from, env } : { env })
        .database.url;
    const absolute = `sqlite:${resolve('/var/lib/books.sqlite')}`;
    expect(url(absolute, source)).toBe(absolute);
    expect(url('sqlite::memory:', source)).toBe('sqlite::memory:');
    expect(url('postgresql://app@db/books', source)).toBe('postgresql://app@db/books');
    expect(url('sqlite:./books.sqlite')).toBe('sqlite:./books.sqlite');
  });

  it('refuses a text larger than configBytesMax, counting bytes, not characters', () => {
    const fits = `#${'x'.repeat(configBytesMax - 1)}`;
    expect(parseConfigText(fits, { env }).coins).toEqual({});
    const error = configError(() => parseConfigText(`${fits}x`, { env }));
    expect(error.shortMessage).toBe(`config: file is larger than ${configBytesMax} bytes`);
    const wide = `#${'\u00e9'.repeat(configBytesMax / 2)}`;
    expect(wide.length).toBeLessThan(configBytesMax);
    expect(configError(() => parseConfigText(wide, { env })).shortMessage).toMatch(/larger than/);
  });

  it.each([
    ['a tab in indentation', 'database:\n\turl: x'],
    ['an unclosed flow mapping', 'database: { url: x'],
    ['a duplicate key', 'database: { url: a }\ndatabase: { url: b }'],
    ['two documents', 'database: { url: a }\n---\ndatabase: { url: b }'],
    ['an undefined alias', 'database: *nothing'],
    ['nesting in a compact mapping', 'a: b: c'],
    ['truncated JSON', '{"database": {"url": "x"'],
  ])('gives a one-line ConfigError for invalid YAML: %s', (_, text) => {
    const error = configError(() => parse(text));
    expect(error.shortMessage).toMatch(/^config: not valid YAML or JSON: /);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses an alias bomb', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 10; level++) {
      const previous = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    expect(configError(() => parse(lines.join('\n'))).shortMessage).toMatch(/not valid YAML/);
  });
});

describe('loadConfigFile', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cryptoassets-config-test-'));
  let fileIndex = 0;

  /** Writes a config (and optionally a .env) into a fresh folder; returns the config path. */
  function writeConfig(text: string, dotenv?: string): string {
    const dir = join(folder, String(fileIndex++));
    mkdirSync(dir);
    const path = join(dir, 'cryptoassets.yaml');
    writeFileSync(path, text);
    if (dotenv !== undefined) writeFileSync(join(dir, '.env'), dotenv);
    return path;
  }

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  const dotenv = [
    '# secrets for the test',
    'RPC_PASSWORD=rpc-password',
    'export WEBHOOK_SECRET="webhook-secret-0123456789"',
  ].join('\n');

  it('reads the .env beside the file and resolves the database against its folder', () => {
    const path = writeConfig(fullYaml, dotenv);
    const folderOfFile = join(path, '..');
    const expected = expectedFullConfig(
      path,
      `sqlite:${join(folderOfFile, 'data', 'cryptoassets.sqlite')}`,
    );
    expect(loadConfigFile(path)).toStrictEqual(expected);
  });

  it('lets process.env win over the .env file', () => {
    vi.stubEnv('WEBHOOK_SECRET', 'from-process-0123456789');
    const path = writeConfig(fullYaml, dotenv);
    const shop = loadConfigFile(path).events.shop;
    expect(shop?.type === 'http' && shop.secret).toBe('from-process-0123456789');
  });

  it('uses only the given environment when one is passed', () => {
    const path = writeConfig(fullYaml, dotenv);
    const error = configError(() => loadConfigFile(path, { env: { RPC_PASSWORD: 'x' } }));
    expect(error.shortMessage).toContain('WEBHOOK_SECRET');
    const config = loadConfigFile(path, { env: { ...env, RPC_PASSWORD: 'given' } });
    const backend = config.coins.ltc?.backend;
    expect(backend?.type === 'bitcoind' && backend.url).toContain('user:given@');
  });

  it('names a variable missing from both the .env and process.env', () => {
    const path = writeConfig(fullYaml, 'RPC_PASSWORD=rpc-password\n');
    expect(configError(() => loadConfigFile(path)).shortMessage).toContain('WEBHOOK_SECRET');
  });

  it('refuses a missing file, a folder and a file that is too large', () => {
    const missing = join(folder, 'nowhere.yaml');
    expect(configError(() => loadConfigFile(missing)).shortMessage).toBe(
      `config file not found: ${missing}`,
    );
    expect(configError(() => loadConfigFile(folder)).shortMessage).toContain('cannot read');
    const large = writeConfig(`#${'x'.repeat(configBytesMax)}`);
    expect(configError(() => loadConfigFile(large)).shortMessage).toBe(
      `${large}: file is larger than ${configBytesMax} bytes`,
    );
  });

  it('names the file in validation errors', () => {
    const path = writeConfig('coins: { ltc: { confirmations: -1 } }');
    const error = configError(() => loadConfigFile(path, { env: {} }));
    expect(error.shortMessage.startsWith(`${path}: coins.ltc.confirmations: `)).toBe(true);
  });
});

describe('parseDotenv', () => {
  it('reads names, values, quotes, comments and export', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      '  SPACED  =  padded value  ',
      'export EXPORTED=yes',
      'DOUBLE="double quoted"',
      "SINGLE='single quoted'",
      'EQUALS=a=b=c',
      'EMPTY=',
      'HALF="not closed',
      '  # indented comment=1',
      'not a pair',
      '1DIGIT=no',
      'WINDOWS=crlf\r',
    ].join('\n');
    expect(parseDotenv(text)).toStrictEqual({
      PLAIN: 'value',
      SPACED: 'padded value',
      EXPORTED: 'yes',
      DOUBLE: 'double quoted',
      SINGLE: 'single quoted',
      EQUALS: 'a=b=c',
      EMPTY: '',
      HALF: '"not closed',
      WINDOWS: 'crlf',
    });
  });

  it('lets a later line win', () => {
    expect(parseDotenv('A=1\nA=2')).toStrictEqual({ A: '2' });
  });
});

describe('config fuzz', () => {
  /** Either a Config, or a ConfigError with a one-line message: nothing else escapes. */
  function configOrConfigError(run: () => Config): boolean {
    try {
      const config = run();
      return typeof config.database.url === 'string' && typeof config.coins === 'object';
    } catch (error) {
      return (
        error instanceof ConfigError &&
        error.shortMessage.length > 0 &&
        !/[\n\r\u2028\u2029]/.test(error.shortMessage)
      );
    }
  }

  const key = fc.constantFrom(
    'database',
    'url',
    'coins',
    'btc',
    'ltc',
    'doge',
    'xrp',
    'backend',
    'type',
    'walletnotify',
    'host',
    'port',
    'path',
    'channel',
    'confirmations',
    'max_confirmation_count',
    'testnet',
    'network',
    'balance',
    'events',
    'shop',
    'secret',
    'script',
    'timeout_ms',
    'status_server',
    'service',
    'logging',
    'level',
    '__proto__',
    'a\nb',
  );
  const leaf = fc.oneof(
    fc.constantFrom(
      'bitcoind',
      'offline',
      'http',
      'pipe',
      'redis',
      'script',
      'callback',
      'http://127.0.0.1:9332/',
      'mainnet',
      'testnet',
      'regtest',
      'info',
      'sqlite:./x.sqlite',
      `\${X}`,
      '1.5',
      '0.000000001',
      'a-secret-that-is-long-enough',
    ),
    fc.integer({ min: -2, max: 70_000 }),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 8 }),
  );
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.dictionary(key, tie('tree'), { maxKeys: 5 }),
      fc.array(tie('tree'), { maxLength: 3 }),
    ),
  }));
  const configLike = fc.dictionary(key, tree, { maxKeys: 6 });

  it('parseConfigText returns a Config or throws ConfigError for any text', () => {
    // The YAML parser reports unknown tags as process warnings; keep the test output readable.
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    onTestFinished(() => warnings.mockRestore());
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(...'{}[]:,-&*!|>?#"\'\n \t$abc123'), maxLength: 100 }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      configLike.map((value) => JSON.stringify(value)),
    );
    fc.assert(
      fc.property(texts, (text) => configOrConfigError(() => parseConfigText(text, { env: {} }))),
      { numRuns: 1_000 },
    );
  });

  it('validateConfig returns a Config or throws ConfigError for any value', () => {
    const values = fc.oneof(
      fc.jsonValue(),
      configLike,
      fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withNullPrototype: true,
        withObjectString: true,
        withSet: true,
        withSparseArray: true,
        withTypedArray: true,
      }),
    );
    fc.assert(
      fc.property(values, (value) => configOrConfigError(() => validateConfig(value))),
      { numRuns: 1_000 },
    );
  });

  it('keeps any valid confirmation depths and network of a coin', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('btc', 'ltc', 'doge'),
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 0, max: 9_000 }),
        fc.constantFrom('mainnet', 'testnet', 'regtest'),
        (symbol, confirmations, extra, network) => {
          const config = validateConfig({
            coins: {
              [symbol]: { confirmations, max_confirmation_count: confirmations + extra, network },
            },
          });
          expect(config.coins[symbol]).toMatchObject({
            symbol,
            network,
            confirmations,
            maxConfirmationCount: confirmations + extra,
          });
        },
      ),
    );
  });
});

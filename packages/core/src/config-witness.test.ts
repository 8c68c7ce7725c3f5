// The `witnesses` section of the configuration: defaults, custom profiles, failover mode and
// one-line errors that name the bad field.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig } from './config.js';
import { ConfigError } from './errors.js';

const guardYaml = `
events:
  shop: { type: http, url: http://127.0.0.1:10000/events }
witnesses:
  alice-hive:
    chain: hive
    account: alice
    nodes: [https://api.example-a.net, https://api.example-b.net]
    signing_keys:
      - public: STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV
        private: \${PRIMARY_SIGNING_WIF}
      - public: STM7MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV
    active_key: keystore:alice-active
    kill_switch_after_misses: 10
    notify: [shop]
`;

const env = { PRIMARY_SIGNING_WIF: '5JdeC9P7Pbd1uGdFVEsJ41EkEnADbbHGq6p1BwFxm6txNBsQnsw' };

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function guard(fields: Record<string, unknown>): unknown {
  return {
    witnesses: {
      g: {
        chain: 'hive',
        account: 'alice',
        nodes: ['http://127.0.0.1:1'],
        signing_keys: [{ public: 'STM6MRyAjQq8ud7hV' }, { public: 'STM7MRyAjQq8ud7hV' }],
        ...fields,
      },
    },
  };
}

describe('witnesses', () => {
  it('fills in the defaults and expands the environment', () => {
    const config = parseConfigText(guardYaml, { env });
    const alice = config.witnesses['alice-hive'];
    expect(alice).toMatchObject({
      chain: 'hive',
      account: 'alice',
      switch_after_misses: 1,
      reset_after_clean_checks: 120,
      kill_switch_after_misses: 10,
      mode: 'rotate',
      verify_after_blocks: 3,
      verify_retries_max: 3,
      dry_run: false,
      notify: ['shop'],
      active_key: 'keystore:alice-active',
    });
    expect(alice?.signing_keys[0]?.private).toBe(env.PRIMARY_SIGNING_WIF);
  });

  it('takes a relative log file from the config file folder', () => {
    const raw = guard({ log_file: 'logs/guard.jsonl' });
    const config = validateConfig(raw, '/srv/cryptoassets/cryptoassets.yaml');
    expect(config.witnesses.g?.log_file).toBe('/srv/cryptoassets/logs/guard.jsonl');
    expect(validateConfig(guard({ log_file: '/var/log/g.jsonl' })).witnesses.g?.log_file).toBe(
      '/var/log/g.jsonl',
    );
  });

  it('is empty when no guard is configured', () => {
    expect(parseConfigText('', { env }).witnesses).toStrictEqual({});
  });

  it('takes a custom profile for chain custom, and only then', () => {
    const profile = {
      family: 'steem',
      prefix: 'TST',
      chain_id: '18dcf0a285365fc58b71f18b3d3fec954aa0c141c44e4e5cb4cf777b9eab274e',
      core_symbol: 'TESTS',
      witness_update_op_id: 11,
      witness_set_properties_op_id: 42,
    };
    const config = validateConfig(guard({ chain: 'custom', profile }));
    expect(config.witnesses.g?.profile).toMatchObject({ prefix: 'TST', precision: 3 });
    expect(errorOf(() => validateConfig(guard({ chain: 'custom' }))).shortMessage).toBe(
      'config: witnesses.g.profile: a profile is given exactly when chain is custom',
    );
    expect(errorOf(() => validateConfig(guard({ profile }))).shortMessage).toContain(
      'witnesses.g.profile',
    );
  });

  it('needs thresholds, a backup key and ordered thresholds in failover mode', () => {
    expect(errorOf(() => validateConfig(guard({ mode: 'failover' }))).shortMessage).toContain(
      'witnesses.g.failover: mode failover needs',
    );
    const failover = { primary_threshold: 5, backup_threshold: 3 };
    expect(errorOf(() => validateConfig(guard({ mode: 'failover', failover }))).shortMessage).toBe(
      'config: witnesses.g.failover: backup_threshold must be at least primary_threshold',
    );
    const one = { signing_keys: [{ public: 'STM6MRyAjQq8ud7hV' }] };
    const ok = { primary_threshold: 0, backup_threshold: 0 };
    expect(
      errorOf(() => validateConfig(guard({ mode: 'failover', failover: ok, ...one }))).shortMessage,
    ).toContain('witnesses.g.signing_keys');
    expect(validateConfig(guard({ mode: 'failover', failover: ok })).witnesses.g?.mode).toBe(
      'failover',
    );
  });

  it.each([
    ['an unknown chain', { chain: 'golos' }, 'witnesses.g.chain'],
    ['no nodes', { nodes: [] }, 'witnesses.g.nodes'],
    ['nine nodes', { nodes: Array(9).fill('http://127.0.0.1:1') }, 'witnesses.g.nodes'],
    ['a node that is no URL', { nodes: ['nowhere'] }, 'witnesses.g.nodes.0'],
    ['no signing keys', { signing_keys: [] }, 'witnesses.g.signing_keys'],
    [
      'an unknown key field',
      { signing_keys: [{ public: 'STM6MRyAj', wif: 'x' }] },
      'signing_keys.0',
    ],
    ['zero misses', { switch_after_misses: 0 }, 'witnesses.g.switch_after_misses'],
    ['an unknown field', { nobroadcast: true }, 'witnesses.g'],
    ['a bad SMTP URL', { email: { smtp: 'http://x', from: 'a@b', to: ['c@d'] } }, 'email.smtp'],
    ['no mail recipients', { email: { smtp: 'smtp://x', from: 'a@b', to: [] } }, 'email.to'],
  ])('refuses %s, naming the field', (_, fields, path) => {
    const error = errorOf(() => validateConfig(guard(fields)));
    expect(error.shortMessage).toContain(path);
    expect(error.shortMessage).not.toContain('\n');
  });

  it('refuses a notify name that is not an event handler', () => {
    expect(errorOf(() => validateConfig(guard({ notify: ['nobody'] }))).shortMessage).toBe(
      'config: witnesses.g.notify.0: no event handler named nobody under events',
    );
  });

  it('refuses guard names with capitals or spaces', () => {
    const raw = guard({}) as { witnesses: Record<string, unknown> };
    const error = errorOf(() => validateConfig({ witnesses: { 'Bad Name': raw.witnesses.g } }));
    expect(error.shortMessage).toContain('witnesses.Bad Name');
  });

  it('answers any witnesses value with a Config or a one-line ConfigError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateConfig({ witnesses: { g: value } });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).shortMessage).not.toMatch(/[\n\r]/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

// The witness commands: `status` reads each guard's witness once, `watch` runs only the guards
// until SIGTERM/SIGINT, `enable --key K` / `disable` set the signing key by hand, and `drill`
// rehearses a failover and the kill switch on a local simnet.
import type { Config, WitnessConfig } from '@cryptoassets/core';
import type { CryptoassetsEvent } from '@cryptoassets/ledger';
import { createEventHandlers } from '@cryptoassets/service';
import {
  defaultKeystorePath,
  type EventSink,
  type GuardStatus,
  type Keystore,
  type KeystoreReader,
  openKeystore,
  readGuardStatus,
  runDrill,
  setSigningKey,
  startWitnessGuards,
  type WitnessEvent,
} from '@cryptoassets/witness';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type GlobalOptions, loadConfig, UsageError } from '../context.js';
import { createPrinter, table } from '../output.js';
import { loggerFor, watchSignals } from '../process.js';
import { keystorePathEnv, passphraseEnv } from './keys.js';

type NameOptions = { readonly name?: string };
/** Shortest and longest block interval a drill accepts. */
const drillIntervalMsMin = 50;
const drillIntervalMsMax = 10_000;

const nameOption = () =>
  new Option(
    '--name <name>',
    'guard to use (its key under witnesses; may be left out when only one)',
  );

/** The guards named by `--name`, or every configured guard. */
function selectGuards(config: Config, name: string | undefined): string[] {
  const names = Object.keys(config.witnesses);
  if (names.length === 0)
    throw new UsageError('no witness guards are configured (add one under witnesses:)');
  if (name === undefined) return names;
  if (!Object.hasOwn(config.witnesses, name))
    throw new UsageError(`guard ${name} is not configured (configured: ${names.join(', ')})`);
  return [name];
}

/** The one guard a key change applies to. */
function selectOneGuard(config: Config, name: string | undefined): [string, WitnessConfig] {
  const names = selectGuards(config, name);
  if (names.length > 1)
    throw new UsageError(`--name is required (configured: ${names.join(', ')})`);
  const chosen = names[0]!;
  return [chosen, config.witnesses[chosen]!];
}

/**
 * The toolkit's event handlers deliver the ledger's event type; a witness event travels in the
 * same envelope: `id`, `name`, `created_at` and the whole witness event as `data`.
 */
export function toolkitEnvelope(event: WitnessEvent): CryptoassetsEvent {
  return {
    id: event.id,
    name: event.name,
    created_at: event.time,
    data: event,
  } as unknown as CryptoassetsEvent;
}

/** Opens the key store on first use, with the passphrase from the environment. */
export function keystoreReader(): KeystoreReader {
  let opened: Promise<Keystore> | undefined;
  return async (name) => {
    const passphrase = process.env[passphraseEnv];
    if (passphrase === undefined || passphrase === '')
      throw new UsageError(`keystore:${name} needs the key store passphrase in $${passphraseEnv}`);
    opened ??= openKeystore(process.env[keystorePathEnv] ?? defaultKeystorePath, passphrase);
    return (await opened).secret(name);
  };
}

export function sinksFromEvents(config: Config): (names: readonly string[]) => EventSink[] {
  const handlers = createEventHandlers(config);
  return (names) =>
    handlers
      .filter((handler) => names.includes(handler.name))
      .map((handler) => ({
        name: handler.name,
        deliver: (event) => handler.deliver(toolkitEnvelope(event)),
      }));
}

function statusText(statuses: readonly GuardStatus[]): string {
  return statuses
    .map((s) =>
      [
        `${s.name}: ${s.account} on ${s.chain}${s.dry_run ? ' (dry run)' : ''}`,
        `  signing key:    ${s.current_key ?? '?'}`,
        `  total missed:   ${s.total_missed ?? '?'} (streak ${s.streak})`,
        `  last produced:  ${s.last_produced_block ?? 'never seen'}`,
        `  head block:     ${s.head_block ?? '?'}`,
        `  next:           ${s.next}`,
        table(
          ['  node', 'ok', 'latency ms', 'error'],
          s.nodes.map((n) => [
            `  ${n.url}`,
            n.ok ? 'yes' : 'no',
            String(n.latencyMs ?? ''),
            n.lastError ?? '',
          ]),
        ),
      ].join('\n'),
    )
    .join('\n\n');
}

export function registerWitnessCommands(program: Command): void {
  const witness = program
    .command('witness')
    .description('the witness guard: missed-block monitor, key failover and kill switch');
  registerStatus(witness);
  registerWatch(witness);
  registerEnable(witness);
  registerDisable(witness);
  registerDrill(witness);
}

function registerStatus(witness: Command): void {
  const status = witness
    .command('status')
    .description('signing key, misses, last produced block, API nodes, and what the guard would do')
    .addOption(nameOption());
  status.action(async () => {
    const options = status.optsWithGlobals<GlobalOptions & NameOptions>();
    const config = loadConfig(options);
    const statuses: GuardStatus[] = [];
    for (const name of selectGuards(config, options.name))
      statuses.push(await readGuardStatus(name, config.witnesses[name]!));
    createPrinter(options.json ?? false).result(statuses, statusText(statuses));
  });
}

function registerWatch(witness: Command): void {
  const watch = witness
    .command('watch')
    .description('run only the witness guards until SIGTERM or SIGINT')
    .addOption(nameOption());
  watch.action(async () => {
    const options = watch.optsWithGlobals<GlobalOptions & NameOptions>();
    const config = loadConfig(options);
    const names = selectGuards(config, options.name);
    const guards = await startWitnessGuards(config, {
      logger: loggerFor(config),
      names,
      sinksFor: sinksFromEvents(config),
      keystore: keystoreReader(),
      print: (line) => process.stdout.write(`${line}\n`),
    });
    const signals = watchSignals();
    try {
      await Promise.race([signals.signalled, guards.failed, guards.done]);
    } finally {
      signals.dispose();
      await guards.stop();
    }
  });
}

function keyChangeText(result: Awaited<ReturnType<typeof setSigningKey>>): string {
  switch (result.status) {
    case 'changed':
      return `signing key set to ${result.to} (tx ${result.txid}${result.block === undefined ? '' : `, block ${result.block}`})`;
    case 'dry_run':
      return `dry run: would set ${result.to} with ${result.via}; nothing sent:\n${JSON.stringify(result.transaction, null, 2)}`;
    case 'superseded':
      return `the signing key on chain is already ${result.chainKey}`;
    case 'failed':
      return `the key change did not land: ${result.reason}`;
  }
}

function registerEnable(witness: Command): void {
  const enable = witness
    .command('enable')
    .description('set the signing key (after the kill switch this needs the active key)')
    .requiredOption('--key <key>', 'public signing key to set, e.g. STM6...')
    .addOption(nameOption());
  enable.action(async () => {
    const options = enable.optsWithGlobals<GlobalOptions & NameOptions & { key: string }>();
    const config = loadConfig(options);
    const [name, guard] = selectOneGuard(config, options.name);
    const result = await setSigningKey(name, guard, options.key, { keystore: keystoreReader() });
    createPrinter(options.json ?? false).result(result, keyChangeText(result));
    if (result.status === 'failed') throw new UsageError(`${name}: ${result.reason}`);
  });
}

function registerDisable(witness: Command): void {
  const disable = witness
    .command('disable')
    .description('set the null signing key: the witness stops producing (the kill switch, by hand)')
    .addOption(nameOption());
  disable.action(async () => {
    const options = disable.optsWithGlobals<GlobalOptions & NameOptions>();
    const config = loadConfig(options);
    const [name, guard] = selectOneGuard(config, options.name);
    const result = await setSigningKey(name, guard, undefined, { keystore: keystoreReader() });
    createPrinter(options.json ?? false).result(result, keyChangeText(result));
    if (result.status === 'failed') throw new UsageError(`${name}: ${result.reason}`);
  });
}

function intervalOf(text: string): number {
  const value = Number(text);
  if (!/^\d{1,5}$/.test(text) || value < drillIntervalMsMin || value > drillIntervalMsMax)
    throw new InvalidArgumentError(
      `expected milliseconds between ${drillIntervalMsMin} and ${drillIntervalMsMax}`,
    );
  return value;
}

function registerDrill(witness: Command): void {
  const drill = witness
    .command('drill')
    .description(
      'rehearse on a local simnet: the primary stops, the guard fails over, then the kill switch',
    )
    .addOption(
      new Option('--chain <chain>', 'chain to simulate')
        .choices(['hive', 'bitshares'])
        .default('hive'),
    )
    .addOption(
      new Option('--interval-ms <ms>', 'block interval of the simnet')
        .argParser(intervalOf)
        .default(300),
    );
  drill.action(async () => {
    const options = drill.optsWithGlobals<
      GlobalOptions & { chain: 'hive' | 'bitshares'; intervalMs: number }
    >();
    const json = options.json ?? false;
    const lines: string[] = [];
    const report = await runDrill({
      chain: options.chain,
      blockIntervalMs: options.intervalMs,
      narrate: (line) => {
        lines.push(line);
        if (!json) process.stdout.write(`${line}\n`);
      },
    });
    if (json) createPrinter(true).result(report, '');
  });
}

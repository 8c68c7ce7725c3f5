// The keys commands: `create`, `add NAME`, `list` and `remove NAME` on the encrypted key store.
// Passphrases and WIFs come from the environment or a prompt that does not echo, never from
// the command line, so they stay out of shell history and process listings.
import {
  createKeystore,
  defaultKeystorePath,
  type Keystore,
  type KeystoreEntry,
  openKeystore,
} from '@cryptoassets/witness';
import { type Command, Option } from 'commander';
import { type GlobalOptions, UsageError } from '../context.js';
import { createPrinter, table } from '../output.js';

/** Environment variable holding the key store passphrase. */
export const passphraseEnv = 'CRYPTOASSETS_KEYSTORE_PASSPHRASE';
/** Environment variable naming the key store file when --keystore is not given. */
export const keystorePathEnv = 'CRYPTOASSETS_KEYSTORE';
/** Longest answer the hidden prompt accepts. */
const promptLengthMax = 1024;

type KeysOptions = GlobalOptions & { readonly keystore?: string };
type AddOptions = KeysOptions & { readonly wifEnv?: string; readonly prefix: string };

const keystoreOption = () =>
  new Option(
    '--keystore <file>',
    `key store file (default: $${keystorePathEnv} or ${defaultKeystorePath})`,
  );

export function registerKeysCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      `encrypted store of private keys for the witness guard (passphrase from $${passphraseEnv} or a prompt)`,
    );
  keys
    .command('create')
    .description('create an empty key store protected by a passphrase')
    .addOption(keystoreOption())
    .action(async (_options: unknown, command: Command) => createCommand(command));
  keys
    .command('add')
    .description(
      'add a private key (WIF from a hidden prompt or --wif-env, never the command line)',
    )
    .argument('<name>', 'name of the key, used as keystore:NAME in the configuration')
    .option('--wif-env <variable>', 'read the WIF from this environment variable')
    .option(
      '--prefix <prefix>',
      'public key prefix of the chain (STM, BTS, BLT, VIT, TST, ...)',
      'STM',
    )
    .addOption(keystoreOption())
    .action(async (name: string, _options: unknown, command: Command) => addCommand(name, command));
  keys
    .command('list')
    .description('list the names and public keys in the key store')
    .addOption(keystoreOption())
    .action(async (_options: unknown, command: Command) => listCommand(command));
  keys
    .command('remove')
    .description('remove a key from the key store')
    .argument('<name>', 'name of the key')
    .addOption(keystoreOption())
    .action(async (name: string, _options: unknown, command: Command) =>
      removeCommand(name, command),
    );
}

async function createCommand(command: Command): Promise<void> {
  const options = command.optsWithGlobals<KeysOptions>();
  const path = keystorePath(options);
  const passphrase = await readPassphrase(path, { confirm: true });
  const store = await createKeystore(path, passphrase);
  createPrinter(options.json ?? false).result(
    { path: store.path, keys: [] },
    `created key store ${store.path}`,
  );
}

async function addCommand(name: string, command: Command): Promise<void> {
  const options = command.optsWithGlobals<AddOptions>();
  if (!/^[A-Z]{1,8}$/.test(options.prefix)) {
    throw new UsageError('--prefix: expected 1 to 8 capital letters');
  }
  const store = await openStore(options);
  const wif = await readWif(options.wifEnv);
  const entry = await store.add(name, wif, options.prefix);
  createPrinter(options.json ?? false).result(
    entryJson(entry),
    `added ${entry.name}: ${entry.publicKey}`,
  );
}

async function listCommand(command: Command): Promise<void> {
  const options = command.optsWithGlobals<KeysOptions>();
  const store = await openStore(options);
  const entries = store.list();
  const text =
    entries.length === 0
      ? `no keys in ${store.path}`
      : table(
          ['NAME', 'PREFIX', 'PUBLIC KEY'],
          entries.map((entry) => [entry.name, entry.prefix, entry.publicKey]),
        );
  createPrinter(options.json ?? false).result(entries.map(entryJson), text);
}

async function removeCommand(name: string, command: Command): Promise<void> {
  const options = command.optsWithGlobals<KeysOptions>();
  const store = await openStore(options);
  await store.remove(name);
  createPrinter(options.json ?? false).result({ removed: name }, `removed ${name}`);
}

function entryJson(entry: KeystoreEntry) {
  return { name: entry.name, prefix: entry.prefix, public_key: entry.publicKey };
}

function keystorePath(options: KeysOptions): string {
  return options.keystore ?? process.env[keystorePathEnv] ?? defaultKeystorePath;
}

async function openStore(options: KeysOptions): Promise<Keystore> {
  const path = keystorePath(options);
  return openKeystore(path, await readPassphrase(path, { confirm: false }));
}

/** The passphrase from the environment, else a hidden prompt on a terminal. */
async function readPassphrase(path: string, options: { confirm: boolean }): Promise<string> {
  const fromEnv = process.env[passphraseEnv];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!process.stdin.isTTY) {
    throw new UsageError(`no passphrase: set ${passphraseEnv} or run in a terminal`);
  }
  const passphrase = await promptHidden(`Passphrase for ${path}: `);
  if (options.confirm && (await promptHidden('Repeat the passphrase: ')) !== passphrase) {
    throw new UsageError('the passphrases do not match');
  }
  return passphrase;
}

/** The WIF from the named environment variable, else a hidden prompt on a terminal. */
async function readWif(variable: string | undefined): Promise<string> {
  if (variable !== undefined) {
    const value = process.env[variable];
    if (value === undefined || value.trim() === '') {
      throw new UsageError(`environment variable ${variable} is not set`);
    }
    return value.trim();
  }
  if (!process.stdin.isTTY) {
    throw new UsageError('no private key: pass --wif-env VARIABLE or run in a terminal');
  }
  return (await promptHidden('Private key (WIF): ')).trim();
}

/** Reads one line from the terminal in raw mode without echoing it. */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let answer = '';
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        const next = typed(answer, char);
        if (typeof next === 'string') {
          answer = next;
          continue;
        }
        finish(next.error);
        break;
      }
    };
    input.on('data', onData);
  });
}

/** The answer after one typed character, or the end of input (with an error when refused). */
function typed(answer: string, char: string): string | { error?: UsageError } {
  if (char === '\r' || char === '\n' || char === '\u0004') return {};
  if (char === '\u0003') return { error: new UsageError('cancelled') };
  if (char === '\u007f' || char === '\b') return answer.slice(0, -1);
  if (answer.length >= promptLengthMax) {
    return { error: new UsageError(`input longer than ${promptLengthMax} characters`) };
  }
  return answer + char;
}

/**
 * A reader for `keystore:NAME` references in the witness configuration: opens the key store
 * (path from --keystore, $CRYPTOASSETS_KEYSTORE or the default; passphrase from the environment
 * or a prompt) on first use only, so a configuration without such references never asks.
 */
export function lazyKeystoreReader(path?: string): (name: string) => Promise<Uint8Array> {
  let opened: Promise<Keystore> | undefined;
  return async (name) => {
    opened ??= openStore(path === undefined ? {} : { keystore: path });
    return (await opened).secret(name);
  };
}

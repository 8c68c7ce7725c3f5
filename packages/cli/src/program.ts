// The `cryptoassets` program: global options, the commands, and how failures become exit codes.
import { CryptoassetsError } from '@cryptoassets/core';
import { ServicePartFailed } from '@cryptoassets/service';
import { Command, CommanderError } from 'commander';
import { registerDevnetCommands } from './commands/devnet.js';
import { registerHoldCommands } from './commands/holds.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerLedgerCommands } from './commands/ledger.js';
import { registerNodeCommands } from './commands/node.js';
import { registerServiceCommands } from './commands/service.js';
import { registerWitnessCommands } from './commands/witness.js';

export const exitOk = 0;
export const exitUserError = 1;
export const exitInternalError = 2;

const epilog = `
Configuration:
  Every command reads --config FILE, else ./cryptoassets.yaml, else the built-in configuration:
  SQLite books in ./data/cryptoassets.sqlite and a "dev" coin on a local devnet that
  \`cryptoassets service\` (npm start) runs itself in ./data/devnet/dev, with a faucet.
  An offline coin for bookkeeping experiments is one config line away:
  coins: { ltc: { network: regtest, backend: { type: offline, balance: '100' } } }

Examples:
  $ npm start                                   # the service on the built-in devnet
  $ cryptoassets account create alice
  $ cryptoassets address new --account alice
  $ cryptoassets devnet faucet ADDRESS 10
  $ cryptoassets balance --json
  $ cryptoassets transfer --from alice --to bob --amount 0.5 --idempotency-key order-17
  $ cryptoassets hold create --account alice --amount 0.2 --expires-in 10m
  $ cryptoassets audit

Exit status: 0 success, 1 a user error (one line on stderr), 2 an internal failure.`;

export function buildProgram(): Command {
  const program = new Command('cryptoassets')
    .description(
      'Accounting of wallets, accounts, addresses, deposits and withdrawals for cryptoasset services',
    )
    .version('0.1.0')
    .option('--config <file>', 'configuration file (YAML or JSON)')
    .option('--json', 'machine-readable output on stdout; logs stay on stderr')
    .option('--wallet <name>', 'wallet to work in', 'default')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', epilog)
    // Before the commands are added, so that they inherit it: help, a version or a usage error
    // of any command ends in a CommanderError that `runCli` turns into an exit code.
    .exitOverride();
  registerLedgerCommands(program);
  registerHoldCommands(program);
  registerKeysCommands(program);
  registerServiceCommands(program);
  registerWitnessCommands(program);
  registerNodeCommands(program);
  registerDevnetCommands(program);
  return program;
}

/** Runs the program on `argv` (without node and script) and returns the exit code. */
export async function runCli(
  argv: readonly string[],
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitOk;
  } catch (error) {
    return reportFailure(error, stderr);
  }
}

function reportFailure(error: unknown, stderr: (text: string) => void): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help / version).
    return error.exitCode === 0 ? exitOk : exitUserError;
  }
  if (error instanceof ServicePartFailed) {
    stderr(`internal error: ${oneLine(error.shortMessage)}\n`);
    return exitInternalError;
  }
  if (error instanceof CryptoassetsError) {
    if (!(error as { silent?: boolean }).silent) stderr(`error: ${oneLine(error.shortMessage)}\n`);
    return exitUserError;
  }
  const userMessage = environmentProblem(error);
  if (userMessage !== undefined) {
    stderr(`error: ${userMessage}\n`);
    return exitUserError;
  }
  stderr(`internal error: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
  if (process.env.CRYPTOASSETS_DEBUG && error instanceof Error) stderr(`${error.stack ?? ''}\n`);
  return exitInternalError;
}

/** Failures caused by the environment rather than the program: missing tables, no database. */
function environmentProblem(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  if (code === '42P01' || /no such table/.test(message))
    return 'the database has no tables for this coin yet: run `cryptoassets init-db` first';
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === '3D000' ||
    code === '28P01' ||
    code === '28000'
  ) {
    return `cannot use the database: ${oneLine(message)}`;
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

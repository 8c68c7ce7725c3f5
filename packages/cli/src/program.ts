// The `cryptoassets` program: global options, the commands, and how failures become exit codes.
import { CryptoassetsError } from '@cryptoassets/core';
import { ServicePartFailed } from '@cryptoassets/service';
import { Command, CommanderError } from 'commander';
import { registerLedgerCommands } from './commands/ledger.js';
import { registerServiceCommands } from './commands/service.js';

export const exitOk = 0;
export const exitUserError = 1;
export const exitInternalError = 2;

const epilog = `
Configuration:
  Every command reads --config FILE, else ./cryptoassets.yaml, else the built-in configuration:
  SQLite books in ./data/cryptoassets.sqlite and an "ltc" regtest coin on the offline backend,
  for bookkeeping experiments: it makes addresses nobody holds keys for (never pay to them) and
  reports 100 coins of play money that import-balance can credit to an account.

Examples:
  $ cryptoassets init-db
  $ cryptoassets account create alice
  $ cryptoassets account create bob
  $ cryptoassets import-balance --account alice
  $ cryptoassets address new --account alice
  $ cryptoassets transfer --from alice --to bob --amount 0.5
  $ cryptoassets balance --json
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
    .addHelpText('after', epilog);
  registerLedgerCommands(program);
  registerServiceCommands(program);
  program.exitOverride();
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

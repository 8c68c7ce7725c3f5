// Output: plain text tables for people, JSON on stdout for scripts. Logs and errors go to stderr.
import { formatAmount, jsonSafe } from '@cryptoassets/core';
import type { Account, Address, Ledger, Transaction } from '@cryptoassets/ledger';

/** A hold as the ledger returns it. */
export type Hold = NonNullable<Awaited<ReturnType<Ledger['getHold']>>>;
export type HoldState = Hold['state'];

export type Printer = {
  readonly json: boolean;
  /** Prints `text` for people, or `data` as JSON with `--json`. */
  readonly result: (data: unknown, text: string) => void;
};

export function createPrinter(
  json: boolean,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Printer {
  return {
    json,
    result: (data, text) =>
      write(
        json ? `${JSON.stringify(data, jsonSafe, 2)}\n` : text.endsWith('\n') ? text : `${text}\n`,
      ),
  };
}

/** Lines up rows of cells into columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function accountJson(account: Account, decimals: number) {
  return {
    id: account.id,
    name: account.name,
    kind: account.kind,
    balance: formatAmount(account.balance, decimals),
    held: formatAmount(account.held, decimals),
    available: formatAmount(account.balance - account.held, decimals),
  };
}

export function addressJson(address: Address, decimals: number) {
  return {
    id: address.id,
    address: address.address,
    label: address.label,
    account_id: address.accountId,
    received: formatAmount(address.balance, decimals),
    archived: address.archivedAt !== null,
  };
}

export function transactionJson(transaction: Transaction, decimals: number) {
  return {
    id: transaction.id,
    kind: transaction.kind,
    state: transaction.state,
    amount: formatAmount(transaction.amount, decimals),
    sending_account_id: transaction.sendingAccountId,
    receiving_account_id: transaction.receivingAccountId,
    address_id: transaction.addressId,
    network_transaction_id: transaction.networkTransactionId,
    label: transaction.label,
    reference: transaction.reference,
    metadata: transaction.metadata,
    hold_id: transaction.holdId,
    created_at: transaction.createdAt.toISOString(),
    credited_at: transaction.creditedAt?.toISOString() ?? null,
    processed_at: transaction.processedAt?.toISOString() ?? null,
  };
}

export function holdJson(hold: Hold, decimals: number) {
  return {
    id: hold.id,
    account_id: hold.accountId,
    state: hold.state,
    amount: formatAmount(hold.amount, decimals),
    captured: formatAmount(hold.captured, decimals),
    expires_at: hold.expiresAt?.toISOString() ?? null,
    reference: hold.reference,
    metadata: hold.metadata,
    created_at: hold.createdAt.toISOString(),
    settled_at: hold.settledAt?.toISOString() ?? null,
  };
}

/**
 * Metadata on one line for people: `key=value, key=value`, or `-` when there is none; a key or
 * value with a control character (a newline) is shown as a JSON string.
 */
export function metadataText(metadata: Readonly<Record<string, string>> | null): string {
  if (metadata === null) return '-';
  const entries = Object.entries(metadata);
  return entries.length === 0
    ? '-'
    : entries.map(([key, value]) => `${oneLine(key)}=${oneLine(value)}`).join(', ');
}

const oneLine = (text: string): string => (/\p{Cc}/u.test(text) ? JSON.stringify(text) : text);

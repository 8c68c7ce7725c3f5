// Output: plain text tables for people, JSON on stdout for scripts. Logs and errors go to stderr.
import { formatAmount, jsonSafe } from '@cryptoassets/core';
import type { Account, Address, Transaction } from '@cryptoassets/ledger';

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
    created_at: transaction.createdAt.toISOString(),
    credited_at: transaction.creditedAt?.toISOString() ?? null,
    processed_at: transaction.processedAt?.toISOString() ?? null,
  };
}

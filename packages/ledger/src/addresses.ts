// Addresses of a wallet: receiving addresses of accounts, outside addresses sent to, and checks.
import { randomBytes } from 'node:crypto';
import { assert, isValidAddress as isValidCoinAddress } from '@cryptoassets/core';
import { checkLabel } from './checks.js';
import {
  type AccountRef,
  type LedgerContext,
  listLimitMax,
  nowIso,
  requireBackend,
  type Tx,
  type WalletRef,
} from './context.js';
import { BadAddress, DuplicateAddress, NotFound } from './errors.js';
import { type Account, type Address, mapAddress } from './records.js';
import { getAccountById } from './wallets.js';

/** Asks the backend for a new address and records it as a receiving address of the account. */
export async function createReceivingAddress(
  ctx: LedgerContext,
  account: AccountRef,
  options: { readonly label?: string } = {},
): Promise<Address> {
  const backend = requireBackend(ctx);
  const label = checkLabel(options.label ?? `${account.name}-${randomBytes(6).toString('hex')}`);
  const address = await backend.createAddress({ label });
  assert(
    isValidAddress(ctx, address),
    `backend ${backend.type} returned an invalid address ${address}`,
  );
  return importAddress(ctx, account, address, { label });
}

/** Adds an existing address of the coin to the account; a duplicate is `DuplicateAddress`. */
export async function importAddress(
  ctx: LedgerContext,
  account: AccountRef,
  address: string,
  options: { readonly label?: string } = {},
): Promise<Address> {
  checkAddress(ctx, address);
  if (options.label !== undefined) checkLabel(options.label);
  return ctx.resolver.managed('import address', async (tx) => {
    const existing = await tx
      .selectFrom('address')
      .select('id')
      .where('wallet_id', '=', account.walletId)
      .where('address', '=', address)
      .executeTakeFirst();
    if (existing) throw new DuplicateAddress(address);
    const row = await tx
      .insertInto('address')
      .values({
        wallet_id: account.walletId,
        account_id: account.id,
        address,
        label: options.label ?? null,
        balance: 0n,
        archived_at: null,
        created_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapAddress(row);
  });
}

/** Returns the wallet's record of an outside address, creating it if missing. */
export async function getOrCreateExternalAddress(
  ctx: LedgerContext,
  wallet: WalletRef,
  address: string,
): Promise<Address> {
  checkAddress(ctx, address);
  return ctx.resolver.managed('external address', (tx) => externalAddress(tx, wallet.id, address));
}

/** Inside a unit of work: the wallet's record of an outside address, created if missing. */
export async function externalAddress(tx: Tx, walletId: number, address: string): Promise<Address> {
  await tx
    .insertInto('address')
    .values({
      wallet_id: walletId,
      account_id: null,
      address,
      label: null,
      balance: 0n,
      archived_at: null,
      created_at: nowIso(),
    })
    .onConflict((oc) => oc.columns(['wallet_id', 'address']).doNothing())
    .execute();
  const row = await tx
    .selectFrom('address')
    .selectAll()
    .where('wallet_id', '=', walletId)
    .where('address', '=', address)
    .executeTakeFirstOrThrow();
  return mapAddress(row);
}

/** Archives a receiving address: it keeps receiving, but is no longer listed by default. */
export async function archiveAddress(
  ctx: LedgerContext,
  address: Pick<Address, 'id'>,
): Promise<Address> {
  return ctx.resolver.managed('archive address', async (tx) => {
    const row = await tx
      .updateTable('address')
      .set({ archived_at: nowIso() })
      .where('id', '=', address.id)
      .where('archived_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row) return mapAddress(row);
    const current = await tx
      .selectFrom('address')
      .selectAll()
      .where('id', '=', address.id)
      .executeTakeFirst();
    if (!current) throw new NotFound(`address ${address.id}`);
    return mapAddress(current);
  });
}

/** Receiving addresses of a wallet, or of one account; archived ones only when asked. */
export async function listReceivingAddresses(
  ctx: LedgerContext,
  options: {
    readonly wallet: WalletRef;
    readonly account?: Pick<Account, 'id'>;
    readonly includeArchived?: boolean;
  },
): Promise<Address[]> {
  let query = ctx.db
    .selectFrom('address')
    .selectAll()
    .where('wallet_id', '=', options.wallet.id)
    .where('account_id', 'is not', null);
  if (options.account) query = query.where('account_id', '=', options.account.id);
  if (!options.includeArchived) query = query.where('archived_at', 'is', null);
  return (await query.orderBy('id').limit(listLimitMax).execute()).map(mapAddress);
}

export async function getAddress(
  ctx: LedgerContext,
  wallet: WalletRef,
  address: string,
): Promise<Address | undefined> {
  const row = await ctx.db
    .selectFrom('address')
    .selectAll()
    .where('wallet_id', '=', wallet.id)
    .where('address', '=', address)
    .executeTakeFirst();
  return row ? mapAddress(row) : undefined;
}

/** The account that owns a receiving address of the wallet, or undefined. */
export async function findAccountByAddress(
  ctx: LedgerContext,
  wallet: WalletRef,
  address: string,
): Promise<Account | undefined> {
  const found = await getAddress(ctx, wallet, address);
  if (!found || found.accountId === null) return undefined;
  return getAccountById(ctx, found.accountId);
}

/** An address of the coin's network that the backend (if any) accepts too. */
export function isValidAddress(ctx: LedgerContext, address: string): boolean {
  return (
    isValidCoinAddress(ctx.coin.profile, ctx.coin.network, address) &&
    (ctx.backend?.validateAddress(address) ?? true)
  );
}

/** Returns the address when it is valid, or throws `BadAddress`. */
export function checkAddress(ctx: LedgerContext, address: string): string {
  if (typeof address !== 'string' || !isValidAddress(ctx, address)) {
    throw new BadAddress(String(address), ctx.coin.symbol, ctx.coin.network);
  }
  return address;
}

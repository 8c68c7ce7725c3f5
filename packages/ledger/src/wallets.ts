// Wallets and their accounts: creating, finding and listing them, and a wallet's total.
import { checkName } from './checks.js';
import { type LedgerContext, listLimitMax, nowIso, type WalletRef } from './context.js';
import { AccountExists, NotFound } from './errors.js';
import { type Account, mapAccount, mapWallet, toAmount, type Wallet } from './records.js';

export const networkFeeAccountName = 'Network fees';

/** Returns the wallet of that name, creating it (with its network fee account) if missing. */
export async function getOrCreateWallet(ctx: LedgerContext, name: string): Promise<Wallet> {
  checkName(name, 'wallet');
  const existing = await getWallet(ctx, name);
  if (existing) return existing;
  return ctx.resolver.managed('create wallet', async (tx) => {
    const now = nowIso();
    await tx
      .insertInto('wallet')
      .values({ name, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const wallet = mapWallet(
      await tx.selectFrom('wallet').selectAll().where('name', '=', name).executeTakeFirstOrThrow(),
    );
    await tx
      .insertInto('account')
      .values({
        wallet_id: wallet.id,
        name: networkFeeAccountName,
        kind: 'network_fees',
        balance: 0n,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['wallet_id', 'name']).doNothing())
      .execute();
    return wallet;
  });
}

export async function getWallet(ctx: LedgerContext, name: string): Promise<Wallet | undefined> {
  const row = await ctx.db
    .selectFrom('wallet')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? mapWallet(row) : undefined;
}

export async function listWallets(ctx: LedgerContext): Promise<Wallet[]> {
  const rows = await ctx.db
    .selectFrom('wallet')
    .selectAll()
    .orderBy('id')
    .limit(listLimitMax)
    .execute();
  return rows.map(mapWallet);
}

/** Sum of the wallet's account balances (derived on read; no row holds it). */
export async function walletTotal(ctx: LedgerContext, wallet: WalletRef): Promise<bigint> {
  const row = await ctx.db
    .selectFrom('account')
    .select((eb) => eb.fn.sum<string | bigint>('balance').as('total'))
    .where('wallet_id', '=', wallet.id)
    .executeTakeFirst();
  return toAmount(row?.total ?? 0n);
}

export async function createAccount(
  ctx: LedgerContext,
  wallet: WalletRef,
  name: string,
): Promise<Account> {
  checkName(name, 'account');
  return ctx.resolver.managed('create account', async (tx) => {
    const existing = await tx
      .selectFrom('account')
      .select('id')
      .where('wallet_id', '=', wallet.id)
      .where('name', '=', name)
      .executeTakeFirst();
    if (existing) throw new AccountExists(name);
    const row = await tx
      .insertInto('account')
      .values({ wallet_id: wallet.id, name, kind: 'user', balance: 0n, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapAccount(row);
  });
}

export async function getAccount(
  ctx: LedgerContext,
  wallet: WalletRef,
  name: string,
): Promise<Account | undefined> {
  const row = await ctx.db
    .selectFrom('account')
    .selectAll()
    .where('wallet_id', '=', wallet.id)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? mapAccount(row) : undefined;
}

/** Like `getAccount`, but a missing account is a `NotFound` error. */
export async function requireAccount(
  ctx: LedgerContext,
  wallet: WalletRef,
  name: string,
): Promise<Account> {
  const account = await getAccount(ctx, wallet, name);
  if (!account) throw new NotFound(`account ${JSON.stringify(name)}`);
  return account;
}

export async function getAccountById(ctx: LedgerContext, id: number): Promise<Account | undefined> {
  const row = await ctx.db
    .selectFrom('account')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? mapAccount(row) : undefined;
}

export async function getOrCreateAccount(
  ctx: LedgerContext,
  wallet: WalletRef,
  name: string,
): Promise<Account> {
  const existing = await getAccount(ctx, wallet, name);
  if (existing) return existing;
  try {
    return await createAccount(ctx, wallet, name);
  } catch (error) {
    if (error instanceof AccountExists) return requireAccount(ctx, wallet, name);
    throw error;
  }
}

export async function listAccounts(ctx: LedgerContext, wallet: WalletRef): Promise<Account[]> {
  const rows = await ctx.db
    .selectFrom('account')
    .selectAll()
    .where('wallet_id', '=', wallet.id)
    .orderBy('id')
    .limit(listLimitMax)
    .execute();
  return rows.map(mapAccount);
}

/** The wallet's special account that network fees are charged to. */
export async function getNetworkFeeAccount(
  ctx: LedgerContext,
  wallet: WalletRef,
): Promise<Account> {
  const row = await ctx.db
    .selectFrom('account')
    .selectAll()
    .where('wallet_id', '=', wallet.id)
    .where('kind', '=', 'network_fees')
    .executeTakeFirst();
  if (!row) throw new NotFound(`network fee account of wallet ${wallet.id}`);
  return mapAccount(row);
}

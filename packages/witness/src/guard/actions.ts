// Changing the signing key on chain: re-read the witness, build the cheapest safe operation
// (witness_set_properties signed by the current signing key, a compare-and-set; else
// witness_update signed by the active key), sign, broadcast (or print, in a dry run), then wait
// a few blocks and re-read to verify; retry a bounded number of times.
import type { ChainClient, WitnessState } from '../api/types.js';
import {
  type BitsharesWitness,
  type ChainProfile,
  formatExpiration,
  isNullKey,
  type Operation,
  refBlock,
  type SignedTransaction,
  type SteemWitness,
  setPropertiesOp,
  signTransaction,
  transactionJson,
  witnessUpdateOp,
} from '../graphene/index.js';
import { WitnessKeyError } from './errors.js';
import type { GuardKeys } from './keys.js';

/** Seconds a signed transaction stays valid after the head block's time. */
export const expirationS = 60;

export type KeyChangeVia = 'witness_set_properties' | 'witness_update';

export type KeyChange = {
  readonly from: string;
  readonly to: string;
};

export type ActionContext = {
  readonly guard: string;
  readonly client: ChainClient;
  readonly profile: ChainProfile;
  readonly account: string;
  readonly keys: GuardKeys;
  readonly dryRun: boolean;
  readonly verifyAfterBlocks: number;
  readonly verifyRetriesMax: number;
  /** Resolves once the head is `blocks` blocks past where it was when called. */
  readonly waitForBlocks: (blocks: number) => Promise<void>;
};

export type ActionResult =
  | {
      readonly status: 'dry_run';
      readonly via: KeyChangeVia;
      readonly transaction: Record<string, unknown>;
    }
  | {
      readonly status: 'changed';
      readonly via: KeyChangeVia;
      readonly txid: string;
      readonly block: number | undefined;
      readonly attempts: number;
    }
  /** The chain already has another key than `from`: someone else acted first. */
  | { readonly status: 'superseded'; readonly chainKey: string }
  | { readonly status: 'failed'; readonly reason: string; readonly attempts: number };

type Plan = { readonly op: Operation; readonly signer: Uint8Array; readonly via: KeyChangeVia };

/** Picks the operation and the key that signs it. */
export async function planKeyChange(
  context: ActionContext,
  witness: WitnessState,
  newKey: string,
): Promise<Plan> {
  const { profile, keys, guard } = context;
  const current = keys.signing.get(witness.signingKey);
  if (
    profile.family === 'steem' &&
    profile.opIds.witnessSetProperties !== null &&
    current !== undefined
  ) {
    const op = setPropertiesOp(profile, {
      owner: context.account,
      currentKey: witness.signingKey,
      newKey,
    });
    return { op, signer: current, via: 'witness_set_properties' };
  }
  if (keys.active === undefined) {
    const why = isNullKey(witness.signingKey)
      ? 'the witness is disabled (null key); re-enabling needs active_key'
      : `no private key for the signing key on chain (${witness.signingKey}) and no active_key`;
    throw new WitnessKeyError(guard, `cannot change the signing key: ${why}`);
  }
  return {
    op: await witnessUpdate(context, witness, newKey),
    signer: keys.active,
    via: 'witness_update',
  };
}

async function witnessUpdate(
  context: ActionContext,
  witness: WitnessState,
  newKey: string,
): Promise<Operation> {
  const { profile, client } = context;
  if (profile.family === 'steem') {
    const raw = witness.raw;
    const steem: SteemWitness = {
      owner: context.account,
      url: witness.url,
      signing_key: witness.signingKey,
      props: (raw.props ?? {}) as Record<string, unknown>,
    };
    return witnessUpdateOp(profile, steem, newKey);
  }
  const bitshares: BitsharesWitness = {
    id: witness.id ?? '',
    witness_account: witness.witnessAccountId ?? '',
    url: witness.url,
    signing_key: witness.signingKey,
  };
  const draft = witnessUpdateOp(profile, bitshares, newKey, {
    amount: 0,
    asset_id: profile.coreSymbol,
  });
  const fee = await client.requiredFee(draft);
  return witnessUpdateOp(profile, bitshares, newKey, fee);
}

/** Builds and signs a one-operation transaction on the current head. */
export async function signOperation(
  context: ActionContext,
  plan: Plan,
): Promise<SignedTransaction> {
  const head = await context.client.head();
  const expiration = formatExpiration(Math.floor(head.time.getTime() / 1000) + expirationS);
  return signTransaction(
    context.profile,
    { ...refBlock(head.headBlockId), expiration, operations: [plan.op], extensions: [] },
    [plan.signer],
  );
}

/** Moves the signing key from `change.from` to `change.to`, verified on chain. */
export async function changeKey(context: ActionContext, change: KeyChange): Promise<ActionResult> {
  let lastReason = 'not tried';
  for (let attempt = 1; attempt <= context.verifyRetriesMax + 1; attempt += 1) {
    const fresh = await context.client.witness(context.account);
    if (fresh === undefined)
      return { status: 'failed', reason: 'the witness disappeared', attempts: attempt };
    if (fresh.signingKey !== change.from)
      return { status: 'superseded', chainKey: fresh.signingKey };
    const plan = await planKeyChange(context, fresh, change.to);
    const signed = await signOperation(context, plan);
    if (context.dryRun)
      return {
        status: 'dry_run',
        via: plan.via,
        transaction: transactionJson(context.profile, signed),
      };
    let sent: { id: string; blockNum?: number };
    try {
      sent = await context.client.broadcast(signed);
    } catch (error) {
      lastReason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      await context.waitForBlocks(1);
      continue;
    }
    await context.waitForBlocks(context.verifyAfterBlocks);
    const after = await context.client.witness(context.account);
    if (after?.signingKey === change.to)
      return {
        status: 'changed',
        via: plan.via,
        txid: sent.id,
        block: sent.blockNum,
        attempts: attempt,
      };
    if (after !== undefined && after.signingKey !== change.from)
      return { status: 'superseded', chainKey: after.signingKey };
    lastReason = `transaction ${sent.id} sent, but the key on chain is still ${change.from}`;
  }
  return { status: 'failed', reason: lastReason, attempts: context.verifyRetriesMax + 1 };
}

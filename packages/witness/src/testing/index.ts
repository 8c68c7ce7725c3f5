// Test helpers for the witness guard: the simnet (a local simulated DPoS chain) and deterministic
// keys for it.
import { sha256 } from '@noble/hashes/sha2.js';
import type { SimnetWitnessSpec } from '../simnet/types.js';

export * from '../simnet/index.js';

/** A private key derived from a label (sha256 of it): reproducible keys for tests only. */
export function testSecret(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`cryptoassets simnet test key: ${label}`));
}

/** Witness specs with keys derived from the account names (`<name>-signing`, `<name>-active`). */
export function testWitnesses(accounts: readonly string[]): SimnetWitnessSpec[] {
  return accounts.map((account) => ({
    account,
    signingSecret: testSecret(`${account}-signing`),
    activeSecret: testSecret(`${account}-active`),
  }));
}

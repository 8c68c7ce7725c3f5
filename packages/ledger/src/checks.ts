// Checks of values given to the ledger; each returns the checked value or throws
// `InvalidValueError` (a programming error on list limits is an assertion, as before).
import { assert, checkAmount, InvalidValueError } from '@cryptoassets/core';
import { confirmationsMax, listLimitMax, receivedPerObservationMax } from './context.js';
import type { DepositObservation } from './deposits.js';

export const nameLengthMax = 128;
export const labelLengthMax = 256;
export const txidLengthMax = 128;

/**
 * A wallet or account name: 1..128 characters, no control characters (C0, DEL, C1), no
 * bidirectional overrides or isolates, no surrounding spaces. `field` names what it is.
 */
export function checkName(value: string, field: string): string {
  if (typeof value !== 'string') throw new InvalidValueError(field, 'name must be a string');
  if (value.length === 0 || value.length > nameLengthMax)
    throw new InvalidValueError(field, `name must be 1..${nameLengthMax} characters`);
  const forbidden = forbiddenCharacter(value);
  if (forbidden) throw new InvalidValueError(field, `name contains ${forbidden}`);
  if (value.trim() !== value)
    throw new InvalidValueError(field, 'name must not start or end with a space');
  return value;
}

/** Describes the first control or bidi formatting character of `value`, if any. */
function forbiddenCharacter(value: string): string | undefined {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f))
      return `a control character (${codePoint(code)})`;
    if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069))
      return `a bidirectional override (${codePoint(code)})`;
  }
  return undefined;
}

function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function checkLabel(value: string, field = 'label'): string {
  if (typeof value !== 'string' || value.length > labelLengthMax)
    throw new InvalidValueError(field, `at most ${labelLengthMax} characters`);
  return value;
}

export function checkTxid(value: string, field = 'txid'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > txidLengthMax)
    throw new InvalidValueError(field, 'expected a transaction id');
  return value;
}

/** A depth to ask about: a whole number 0..confirmationsMax. */
export function checkConfirmations(value: number, field = 'confirmations'): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > confirmationsMax)
    throw new InvalidValueError(field, `expected a whole number 0..${confirmationsMax}`);
  return value;
}

/** A depth as the node reports it: negative when conflicted. */
export function checkReportedConfirmations(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < -confirmationsMax || value > confirmationsMax)
    throw new InvalidValueError(
      field,
      `expected a whole number -${confirmationsMax}..${confirmationsMax}`,
    );
  return value;
}

/** How many rows a list returns: 1..listLimitMax. */
export function checkLimit(limit: number): number {
  assert(
    Number.isInteger(limit) && limit > 0 && limit <= listLimitMax,
    `limit must be 1..${listLimitMax}`,
  );
  return limit;
}

export function checkObservation(
  observation: DepositObservation,
  field: string,
): DepositObservation {
  const txid = checkTxid(observation.txid, `${field}.txid`);
  const confirmations = checkReportedConfirmations(
    observation.confirmations,
    `${field}.confirmations`,
  );
  const { received } = observation;
  if (!Array.isArray(received) || received.length > receivedPerObservationMax)
    throw new InvalidValueError(
      `${field}.received`,
      `expected at most ${receivedPerObservationMax}`,
    );
  const addresses = new Set<string>();
  const checked = received.map(({ address, amount }, index) => {
    if (typeof address !== 'string' || address.length === 0 || addresses.has(address))
      throw new InvalidValueError(
        `${field}.received[${index}].address`,
        'expected distinct addresses',
      );
    addresses.add(address);
    return { address, amount: checkAmount(amount, `${field}.received[${index}].amount`) };
  });
  return { txid, confirmations, received: checked };
}

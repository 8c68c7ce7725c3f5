// The wallet's key file: secp256k1 keys with labels, one JSON file (mode 0600) in the node's data
// directory, replaced atomically (temp file + rename) on every change.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CryptoassetsError, InvalidValueError } from '@cryptoassets/core';
import { bytesToHex, hexToBytes } from '../encoding/hash.js';
import { asArray, asObject, asString } from '../encoding/json-fields.js';
import { addressFromPublicKey } from '../tx/address.js';
import { newPrivateKey, publicKeyOf } from '../tx/sign.js';

export const walletFileName = 'wallet.json';
/** Keys one wallet file may hold. */
export const walletKeysMax = 100_000;
const labelLengthMax = 256;

export type WalletKey = {
  readonly address: string;
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
  readonly label: string;
  /** Change addresses are not listed as receiving addresses. */
  readonly change: boolean;
};

export class WalletFileError extends CryptoassetsError {
  override name = 'WalletFileError';
  constructor(shortMessage: string, cause?: unknown) {
    super('WALLET_FILE', shortMessage, cause === undefined ? {} : { cause });
  }
}

export class KeyStore {
  private readonly byAddress = new Map<string, WalletKey>();
  private readonly byPublicKey = new Map<string, WalletKey>();

  private constructor(readonly path: string) {}

  static open(dataDir: string): KeyStore {
    const store = new KeyStore(join(dataDir, walletFileName));
    if (existsSync(store.path)) store.read();
    return store;
  }

  private read(): void {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (cause) {
      throw new WalletFileError(`cannot read the wallet file ${this.path}`, cause);
    }
    try {
      const keys = asArray(asObject(json, 'wallet').keys, 'wallet.keys', walletKeysMax);
      keys.forEach((value, i) => {
        const item = asObject(value, `wallet.keys[${i}]`);
        const hex = asString(item.privateKey, `wallet.keys[${i}].privateKey`, 64);
        const label = asString(item.label ?? '', `wallet.keys[${i}].label`, labelLengthMax);
        this.remember(hexToBytes(hex), label, item.change === true);
      });
    } catch (cause) {
      throw new WalletFileError(`the wallet file ${this.path} is malformed`, cause);
    }
  }

  private remember(privateKey: Uint8Array, label: string, change: boolean): WalletKey {
    const publicKey = publicKeyOf(privateKey);
    const key = { address: addressFromPublicKey(publicKey), publicKey, privateKey, label, change };
    this.byAddress.set(key.address, key);
    this.byPublicKey.set(bytesToHex(publicKey), key);
    return key;
  }

  private write(): void {
    const keys = [...this.byAddress.values()].map((key) => ({
      address: key.address,
      label: key.label,
      change: key.change,
      privateKey: bytesToHex(key.privateKey),
    }));
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.path);
  }

  newKey(label: string, change: boolean): WalletKey {
    if (typeof label !== 'string' || label.length > labelLengthMax) {
      throw new InvalidValueError('label', `expected a string of at most ${labelLengthMax}`);
    }
    if (this.byAddress.size >= walletKeysMax) throw new WalletFileError('the wallet is full');
    const key = this.remember(newPrivateKey(), label, change);
    this.write();
    return key;
  }

  get(address: string): WalletKey | undefined {
    return this.byAddress.get(address);
  }

  privateKeyFor(publicKeyHex: string): Uint8Array | undefined {
    return this.byPublicKey.get(publicKeyHex)?.privateKey;
  }

  keys(): WalletKey[] {
    return [...this.byAddress.values()];
  }
}

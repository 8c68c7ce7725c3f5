// Public face of @cryptoassets/witness: the witness guard.
export const witnessPackage = 'witness';
export * from './api/index.js';
export * from './graphene/index.js';
export * from './guard/index.js';
export * from './keystore/index.js';
export * from './notify/index.js';

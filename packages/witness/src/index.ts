// Public face of @cryptoassets/witness: the witness guard.
export const witnessPackage = 'witness';

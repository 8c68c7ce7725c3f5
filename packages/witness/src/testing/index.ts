// Test helpers for the witness guard: the simnet.
export const witnessTesting = 'witness';

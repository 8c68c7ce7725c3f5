// Public face of the cli package: the program, for embedding and tests.
export { buildProgram, exitInternalError, exitOk, exitUserError, runCli } from './program.js';

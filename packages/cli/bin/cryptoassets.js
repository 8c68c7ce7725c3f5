#!/usr/bin/env node
// Launcher of the `cryptoassets` command: runs the compiled program (built by `npm install`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('error: cryptoassets is not built yet: run `npm run build` first\n');
  process.exit(2);
}
await import(main.href);

// Child process of the crash test: imports hex-encoded blocks (one per line, height 1 first) into a
// chain, in random batches, until killed. Usage: node crash-child.mjs DIST_INDEX DATA_DIR FILE SEED
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [distIndex = '', dataDir = '', blocksFile = '', seedText = '1'] = process.argv.slice(2);
const { Chain, decodeBlock } = await import(pathToFileURL(distIndex).href);
const lines = readFileSync(blocksFile, 'utf8').trim().split('\n');
const batchBlocksMax = 20;
let seed = Number(seedText) % 2147483648;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

const chain = await Chain.open({ dataDir, params: { regtest: true, chaindata: true } });
process.stdout.write(`ready ${chain.tip().height}\n`);
let height = chain.tip().height;
for (let round = 0; height < lines.length && round < lines.length; round++) {
  const size = 1 + Math.floor(random() * batchBlocksMax);
  const batch = lines
    .slice(height, height + size)
    .map((hex) => decodeBlock(Buffer.from(hex, 'hex')));
  if (random() < 0.5) chain.submitBlocks(batch);
  else for (const block of batch) chain.submitBlock(block);
  height = chain.tip().height;
}
process.stdout.write(`done ${height}\n`);
chain.close();

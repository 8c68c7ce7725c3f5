// An interactive wallet on the public API, like the original library's example app: make a
// receiving address, send to an address, show balances and transactions, and print each signed
// event from the service as it arrives. Run `cryptoassets service` with the same configuration.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { devnetDataDir, readDevnetInfo } from '@cryptoassets/chain';
import { formatAmount, loadConfigFile, parseAmount } from '@cryptoassets/core';
import { openDatabase, openLedger } from '@cryptoassets/ledger';
import { createBitcoindBackend, createEventListener } from '@cryptoassets/service';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: new URL('./cryptoassets.yaml', import.meta.url).pathname },
    account: { type: 'string', default: 'example' },
    port: { type: 'string', default: '10000' },
  },
});
const config = loadConfigFile(values.config);
const [coin] = Object.values(config.coins);
if (coin === undefined) throw new Error('the configuration has no coin');
const decimals = coin.profile.decimals;
const secret = config.events['wallet-app']?.secret;
if (!secret) throw new Error('set WALLET_APP_SECRET (the events.wallet-app secret)');

// A devnet coin talks to the devnet the service started, through the bitcoind backend.
const bitcoindCoin =
  coin.backend?.type === 'devnet'
    ? {
        ...coin,
        backend: {
          type: 'bitcoind',
          url: coin.backend.url ?? readDevnetInfo(devnetDataDir(coin, config.source))?.rpcUrl,
          timeout_ms: coin.backend.timeout_ms,
        },
      }
    : coin;
if (!bitcoindCoin.backend?.url) throw new Error('start `cryptoassets service` first');
const database = openDatabase(config.database.url);
const ledger = openLedger({ database, coin, backend: createBitcoindBackend(bitcoindCoin) });
await ledger.migrate();
const wallet = await ledger.getOrCreateWallet('default');
const account = await ledger.getOrCreateAccount(wallet, values.account);

const events = createServer(
  createEventListener({
    secret,
    onEvent: (event) => {
      const { direction, amount, confirmations, credited, txid } = event.data;
      const what = credited ? 'credited' : `${confirmations} confirmations`;
      console.log(`\n[event ${event.id}] ${direction} ${amount} ${coin.symbol}: ${what} (${txid})`);
    },
  }),
);
events.listen(Number(values.port), '127.0.0.1');

const commands = {
  help: () => console.log('address | send ADDRESS AMOUNT | balance | transactions | help | quit'),
  address: async () => {
    const address = await ledger.createReceivingAddress(account);
    console.log(`pay to ${address.address}`);
  },
  send: async (address, amount) => {
    const minor = parseAmount(amount, { decimals, field: 'amount' });
    const sent = await ledger.send({ from: account, address, amount: minor });
    console.log(`${sent.state}: ${formatAmount(minor, decimals)} to ${address} (#${sent.id})`);
  },
  balance: async () => {
    const current = await ledger.getAccountById(account.id);
    const pending = await ledger.unconfirmedBalance({ wallet, account });
    console.log(
      `${formatAmount(current.balance, decimals)} ${coin.symbol}` +
        ` (+${formatAmount(pending, decimals)} unconfirmed)`,
    );
  },
  transactions: async () => {
    for (const t of await ledger.listTransactions({ wallet, account, limit: 20 }))
      console.log(`#${t.id} ${t.kind} ${t.state} ${formatAmount(t.amount, decimals)}`);
  },
};

console.log(
  `wallet account "${account.name}" on ${coin.symbol}; events on 127.0.0.1:${values.port}`,
);
commands.help();
const prompt = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
prompt.prompt();
for await (const line of prompt) {
  const [name, ...args] = line.trim().split(/\s+/);
  if (name === 'quit' || name === 'exit') break;
  const command = commands[name];
  if (command === undefined) {
    if (name) console.log(`unknown command ${name}; try help`);
  } else {
    // A bad amount or address is a one-line message; the wallet keeps running.
    await Promise.resolve(command(...args)).catch((error) =>
      console.log(`error: ${error.shortMessage ?? error.message}`),
    );
  }
  prompt.prompt();
}
prompt.close();
events.close();
await database.close();

// The status page a person reads: plain server-rendered HTML, every value escaped.
import type { CoinDetail, ServiceStatus } from './types.js';

const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element or a quoted attribute. */
export function escapeHtml(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text.replace(/[&<>"']/g, (char) => entities[char] ?? char);
}

function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '<p><em>none</em></p>';
  const head = header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function coinSection(coin: CoinDetail): string {
  const node = coin.node.reachable
    ? `reachable, block ${coin.node.blockHeight ?? '?'}`
    : `NOT reachable: ${coin.node.error ?? 'unknown error'}`;
  const notify = coin.walletnotify
    ? `${coin.walletnotify.type} ${coin.walletnotify.state}, received ${coin.walletnotify.received}, rejected ${coin.walletnotify.rejected}, dropped ${coin.walletnotify.dropped}, last ${coin.walletnotify.lastReceivedAt ?? 'never'}`
    : 'not configured';
  const facts: [string, unknown][] = [
    ['node', node],
    ['hot wallet balance', coin.hotWalletBalance ?? 'unknown'],
    ['ledger total', coin.ledgerTotal],
    ['walletnotify', notify],
    ['last rescan', coin.lastRescanAt ?? 'never'],
    ['last confirmation poll', coin.lastConfirmationPollAt ?? 'never'],
    ['open broadcasts', coin.openBroadcasts],
    ['held broadcasts', coin.heldBroadcasts],
  ];
  return [
    `<section><h2>${escapeHtml(coin.coin)}</h2>`,
    table(['', ''], facts),
    '<h3>Broadcasters</h3>',
    table(
      ['wallet', 'last run', 'last sent', 'last txid', 'last error'],
      coin.broadcasters.map((b) => [b.wallet, b.lastRunAt, b.lastSentAt, b.lastTxid, b.lastError]),
    ),
    '<h3>Open broadcasts</h3>',
    table(
      ['id', 'status', 'txid', 'opened', 'hold reason'],
      coin.broadcasts.map((b) => [b.id, b.status, b.txid, b.openedAt, b.holdReason]),
    ),
    '<h3>Events</h3>',
    table(
      ['handler', 'waiting', 'dead'],
      coin.events.map((e) => [e.handler, e.waiting, e.dead]),
    ),
    '<h3>Wallets</h3>',
    table(
      ['wallet', 'total'],
      coin.wallets.map((w) => [w.wallet, w.total]),
    ),
    '<h3>Accounts</h3>',
    table(
      ['wallet', 'id', 'name', 'kind', 'balance'],
      coin.accounts.map((a) => [a.wallet, a.id, a.name, a.kind, a.balance]),
    ),
    '<h3>Addresses</h3>',
    table(
      ['wallet', 'address', 'account', 'label', 'received'],
      coin.addresses.map((a) => [a.wallet, a.address, a.accountId, a.label, a.received]),
    ),
    '<h3>Recent transactions</h3>',
    table(
      ['wallet', 'id', 'kind', 'state', 'amount', 'created'],
      coin.transactions.map((t) => [t.wallet, t.id, t.kind, t.state, t.amount, t.createdAt]),
    ),
    coin.truncated ? '<p><em>Some lists were cut at their limit.</em></p>' : '',
    '</section>',
  ].join('\n');
}

/** The witness guards: what each sees and what it would do next. */
function witnessSection(rows: ServiceStatus['witnesses']): string {
  if (rows.length === 0) return '';
  return [
    '<section><h2>Witness guards</h2>',
    table(
      [
        'guard',
        'chain',
        'account',
        'signing key',
        'missed',
        'streak',
        'last block',
        'API nodes',
        'next',
      ],
      rows.map((row) => [
        row.name,
        row.chain,
        row.account,
        row.current_key ?? '?',
        row.total_missed ?? '?',
        row.streak,
        row.last_produced_block ?? '?',
        row.nodes.map((node) => `${node.url} ${node.ok ? 'ok' : 'down'}`).join(', '),
        row.blind ? `no fresh chain visible; waiting (${row.next})` : row.next,
      ]),
    ),
    '</section>',
  ].join('\n');
}

/** The whole page: the overall status, one section per coin, and the witness guards. */
export function renderStatusHtml(status: ServiceStatus, coins: readonly CoinDetail[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cryptoassets status</title>
<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-family:monospace}</style>
</head><body>
<h1>cryptoassets service</h1>
<p>started ${escapeHtml(status.startedAt)}, now ${escapeHtml(status.time)}; JSON at <a href="/status.json">/status.json</a></p>
${coins.map(coinSection).join('\n')}
${witnessSection(status.witnesses)}
</body></html>
`;
}

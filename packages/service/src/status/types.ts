// The shapes the status server reports: plain JSON, amounts as decimal strings.

export type NodeStatus = {
  readonly reachable: boolean;
  readonly blockHeight: number | null;
  readonly error: string | null;
};

export type WalletnotifyStatus = {
  readonly type: string;
  readonly state: string;
  readonly received: number;
  readonly rejected: number;
  readonly dropped: number;
  readonly lastReceivedAt: string | null;
};

export type BroadcastRunStatus = {
  readonly wallet: string;
  readonly lastRunAt: string | null;
  readonly lastSentAt: string | null;
  readonly lastTxid: string | null;
  readonly lastError: string | null;
};

export type BroadcastStatusRow = {
  readonly id: number;
  readonly status: string;
  readonly txid: string | null;
  readonly openedAt: string | null;
  readonly holdReason: string | null;
};

export type HandlerStatusRow = {
  readonly handler: string;
  readonly waiting: number;
  readonly dead: number;
};

export type WalletTotal = { readonly wallet: string; readonly total: string };

export type CoinSummary = {
  readonly coin: string;
  readonly node: NodeStatus;
  /** What the node's wallet holds; null when it could not be asked. */
  readonly hotWalletBalance: string | null;
  /** Sum of the ledger's wallet totals, next to the hot wallet's balance. */
  readonly ledgerTotal: string;
  readonly wallets: readonly WalletTotal[];
  readonly walletnotify: WalletnotifyStatus | null;
  readonly lastRescanAt: string | null;
  readonly lastConfirmationPollAt: string | null;
  readonly broadcasters: readonly BroadcastRunStatus[];
  readonly openBroadcasts: number;
  readonly heldBroadcasts: number;
  readonly events: readonly HandlerStatusRow[];
};

export type AccountRow = {
  readonly wallet: string;
  readonly id: number;
  readonly name: string;
  readonly kind: string;
  readonly balance: string;
};

export type AddressRow = {
  readonly wallet: string;
  readonly address: string;
  readonly accountId: number | null;
  readonly label: string | null;
  readonly received: string;
};

export type TransactionRow = {
  readonly wallet: string;
  readonly id: number;
  readonly kind: string;
  readonly state: string;
  readonly amount: string;
  readonly createdAt: string;
};

export type CoinDetail = CoinSummary & {
  readonly broadcasts: readonly BroadcastStatusRow[];
  readonly accounts: readonly AccountRow[];
  readonly addresses: readonly AddressRow[];
  readonly transactions: readonly TransactionRow[];
  /** True when a list was cut at the limit. */
  readonly truncated: boolean;
};

/** One witness guard as the status page shows it (see the witness package's GuardStatus). */
export type WitnessGuardRow = {
  readonly name: string;
  readonly chain: string;
  readonly account: string;
  readonly current_key: string | null;
  readonly total_missed: number | null;
  readonly streak: number;
  readonly last_produced_block: number | null;
  readonly blind: boolean;
  readonly nodes: readonly { readonly url: string; readonly ok: boolean }[];
  readonly next: string;
};

export type ServiceStatus = {
  readonly service: 'cryptoassets';
  readonly startedAt: string;
  readonly time: string;
  readonly coins: readonly CoinSummary[];
  /** The witness guards this process runs (none when no witness is configured). */
  readonly witnesses: readonly WitnessGuardRow[];
};

/** What the server asks for each request; the collector bounds its own work. */
export type StatusSource = {
  readonly coins: () => readonly string[];
  readonly summary: () => Promise<ServiceStatus>;
  readonly detail: (coin: string) => Promise<CoinDetail | undefined>;
};

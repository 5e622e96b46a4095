/**
 * Wires the live market page together: the gateway client and the channels it
 * holds, the REST calls, and the views. The views only draw; every decision
 * about which channel a message belongs to, when the screen is stale and
 * what a switch clears is made here, in one place.
 *
 * A switch is instant on screen (the views are cleared and retitled at once)
 * while the subscriptions follow at the pace the gateway accepts; messages
 * still arriving for the previous market are dropped by channel name, so one
 * market's data can never be drawn under another's name.
 * @module
 */
import type { CandleUpdate, MarketUpdate, OrderBookUpdate, StatusMessage, WebSocketError } from '../../src/schemas/index.js';
import { CandleChart } from './candle-chart.js';
import { ConnectionBadge } from './connection-badge.js';
import { installDebugHook } from './debug-hook.js';
import { FeedHealth } from './feed-health.js';
import { timeframeLabel } from './format.js';
import { fetchCandles, fetchChannels, fetchHealth, liveSocketUrl } from './gateway-api.js';
import { GatewayClient, channelOf, type ChannelHandlers, type ChannelSnapshot } from './gateway-client.js';
import { MarketPickers, type Selection } from './market-pickers.js';
import { OrderBook } from './order-book.js';
import { OrderBookView } from './order-book-view.js';
import { candleSnapshot, orderBookSnapshot, tickerSnapshot, tradeSnapshot } from './snapshots.js';
import { SubscriptionSet, type Wanted } from './subscription-set.js';
import type { ThemeController } from './theme.js';
import { TickerHeader } from './ticker-header.js';
import { TradesTape, TAPE_ROWS } from './trades-tape.js';

export interface PageHosts {
  readonly chart: HTMLElement;
  readonly pickers: HTMLElement;
  readonly ticker: HTMLElement;
  readonly connection: HTMLElement;
  readonly orderbook: HTMLElement;
  readonly trades: HTMLElement;
  readonly notice: HTMLElement;
}

type Kind = 'candles' | 'trades' | 'ticker' | 'orderbook';

/** Candles in the first paint, and fetched when the user scrolls to the oldest one. */
const SNAPSHOT_CANDLES = 200;
const HISTORY_CANDLES = 1000;
const BADGE_TICK_MS = 250;
const CHANNELS_RETRY_MAX_MS = 15_000;
const CHANNELS_REFRESH_MS = 5 * 60_000;
const HISTORY_RETRY_MS = 10_000;
/** At most one order-book restart in this window, however many gaps show up. */
const BOOK_RESTART_MIN_MS = 5_000;
const NOTICE_MS = 8_000;
const STORAGE_KEY = 'tickstream.market';

export class MarketPage {
  private readonly client: GatewayClient;
  private readonly subscriptions: SubscriptionSet;
  private readonly chart: CandleChart;
  private readonly pickers: MarketPickers;
  private readonly ticker: TickerHeader;
  private readonly tape: TradesTape;
  private readonly book = new OrderBook();
  private readonly bookView: OrderBookView;
  private readonly badge: ConnectionBadge;
  private readonly health = new FeedHealth();
  private readonly handlers: ChannelHandlers;

  private selection: Selection | undefined;
  private channels: Record<Kind, string> = { candles: '', trades: '', ticker: '', orderbook: '' };
  /** Bumped on every switch: async results (history, retries) for an older selection are dropped. */
  private generation = 0;
  private bookHasData = false;
  private bookDirty = true;
  private bookRestartAt = 0;
  private history: 'idle' | 'loading' | 'done' = 'idle';
  private simulatedUpstream = false;
  private simulatedSnapshot = false;
  /** exchange_ts of the latest update not yet on screen, and the delay measured when it was drawn. */
  private pendingExchangeTs: number | undefined;
  private shownDelayMs: number | undefined;
  private frameRequested = false;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly hosts: PageHosts,
    private readonly theme: ThemeController,
  ) {
    this.chart = new CandleChart(hosts.chart, { palette: theme.chartPalette(), onNearLeftEdge: () => this.loadOlderCandles() });
    this.pickers = new MarketPickers(hosts.pickers, (selection) => this.select(selection));
    this.ticker = new TickerHeader(hosts.ticker);
    this.tape = new TradesTape(hosts.trades);
    this.bookView = new OrderBookView(hosts.orderbook);
    this.badge = new ConnectionBadge(hosts.connection);
    this.handlers = {
      onSnapshot: (snapshot) => this.onSnapshot(snapshot),
      onUpdate: (update) => this.onUpdate(update),
      onStatus: (status) => this.onStatus(status),
      onError: (error) => this.onError(error),
    };
    theme.onChange(() => this.chart.setPalette(this.theme.chartPalette()));
    this.client = new GatewayClient({ url: liveSocketUrl(window.location) });
    this.subscriptions = new SubscriptionSet(this.client);
    this.client.onStateChange((change) => {
      this.health.setLink(change, Date.now());
      if (change.state === 'live') this.seedHealth();
      this.requestRender();
    });
    installDebugHook({
      candles: () => this.chart.all(),
      symbol: () => this.selection?.symbol ?? '',
      timeframe: () => this.selection?.timeframe ?? '',
    });
  }

  start(): void {
    void this.loadChannels(0);
    setInterval(() => this.renderBadge(), BADGE_TICK_MS);
    setInterval(() => void this.refreshChannels(), CHANNELS_REFRESH_MS);
  }

  // ---- channel list and selection -------------------------------------------------------------

  private async loadChannels(attempt: number): Promise<void> {
    try {
      const list = await fetchChannels();
      this.simulatedUpstream ||= list.simulated;
      if (!this.pickers.setChannels(list.channels)) {
        this.notify('The gateway serves no candle channel yet; retrying.');
        this.retryChannels(attempt);
        return;
      }
      const initial = this.pickers.resolve(this.initialWish());
      if (initial) this.select(initial);
    } catch {
      this.notify('Cannot read the channel list from the gateway; retrying.');
      this.retryChannels(attempt);
    }
  }

  private retryChannels(attempt: number): void {
    const delayMs = Math.min(CHANNELS_RETRY_MAX_MS, 1000 * 2 ** attempt);
    setTimeout(() => void this.loadChannels(attempt + 1), delayMs);
  }

  /** New symbols or timeframes appear in the pickers without a reload; the selection stays. */
  private async refreshChannels(): Promise<void> {
    if (!this.selection) return;
    try {
      const list = await fetchChannels();
      this.simulatedUpstream ||= list.simulated;
      if (this.pickers.setChannels(list.channels) && this.selection) this.pickers.show(this.selection);
      this.requestRender();
    } catch {
      // the next refresh tries again; the socket's own state is what the badge shows
    }
  }

  /** ?symbol=&tf= on the URL (a bookmark), else the last market viewed here. */
  private initialWish(): { symbol?: string | null; timeframe?: string | null } {
    const query = new URLSearchParams(window.location.search);
    if (query.get('symbol')) return { symbol: query.get('symbol'), timeframe: query.get('tf') };
    try {
      const stored: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
      if (typeof stored === 'object' && stored !== null && 'symbol' in stored && 'timeframe' in stored) {
        const { symbol, timeframe } = stored;
        return { symbol: typeof symbol === 'string' ? symbol : null, timeframe: typeof timeframe === 'string' ? timeframe : null };
      }
    } catch {
      // unreadable: defaults
    }
    return {};
  }

  private select(selection: Selection): void {
    const previous = this.selection;
    if (previous?.symbol === selection.symbol && previous.timeframe === selection.timeframe) return;
    const symbolChanged = previous?.symbol !== selection.symbol;
    this.selection = selection;
    this.generation++;
    this.pickers.show(selection);
    this.remember(selection);

    // Clear first: nothing of the previous market may stay on screen under the new name.
    this.chart.clear();
    this.chart.setTitle(`${selection.symbol} · ${timeframeLabel(selection.timeframe)} · UTC`);
    this.history = 'idle';
    this.simulatedSnapshot = false;
    this.pendingExchangeTs = undefined;
    this.shownDelayMs = undefined;
    if (symbolChanged) {
      this.ticker.clear();
      this.tape.clear();
      this.book.clear();
      this.bookHasData = false;
      this.bookDirty = true;
    }

    const requests: Record<Kind, Wanted['request']> = {
      candles: { subscription: 'candles', symbol: selection.symbol, timeframe: selection.timeframe, limit: SNAPSHOT_CANDLES },
      trades: { subscription: 'trades', symbol: selection.symbol, limit: TAPE_ROWS },
      ticker: { subscription: 'ticker', symbol: selection.symbol },
      orderbook: { subscription: 'orderbook', symbol: selection.symbol },
    };
    this.channels = {
      candles: channelOf(requests.candles),
      trades: channelOf(requests.trades),
      ticker: channelOf(requests.ticker),
      orderbook: channelOf(requests.orderbook),
    };
    this.health.watch(Object.values(this.channels), Date.now());
    this.subscriptions.want(
      Object.values(requests).map((request) => ({ request, handlers: this.handlers })),
      symbolChanged ? Object.values(this.channels) : [this.channels.candles],
    );
    this.seedHealth();
    this.requestRender();
  }

  private remember(selection: Selection): void {
    const url = new URL(window.location.href);
    url.searchParams.set('symbol', selection.symbol);
    url.searchParams.set('tf', selection.timeframe);
    window.history.replaceState(null, '', url);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(selection));
    } catch {
      // not remembered across visits; the URL still is
    }
  }

  // ---- messages ------------------------------------------------------------------------------

  private onSnapshot(snapshot: ChannelSnapshot): void {
    const now = Date.now();
    if (snapshot.channel === this.channels.candles) {
      const candles = candleSnapshot(snapshot);
      if (!candles) return;
      this.chart.setCandles(candles.candles);
      this.history = 'idle';
      this.health.noteCandleData(now);
    } else if (snapshot.channel === this.channels.trades) {
      const trades = tradeSnapshot(snapshot);
      if (!trades) return;
      this.tape.replace(trades.trades);
    } else if (snapshot.channel === this.channels.ticker) {
      const ticker = tickerSnapshot(snapshot);
      if (!ticker) return;
      this.ticker.set(ticker.ticker);
    } else if (snapshot.channel === this.channels.orderbook) {
      const book = orderBookSnapshot(snapshot);
      if (!book) return;
      this.book.replace(book.book);
      this.bookHasData = book.book !== null;
      this.bookDirty = true;
    } else {
      return; // a market no longer on screen
    }
    if (snapshot.simulated) this.simulatedSnapshot = true;
    this.requestRender();
  }

  private onUpdate(update: MarketUpdate): void {
    const now = Date.now();
    switch (update.subscription) {
      case 'candles':
        if (update.channel !== this.channels.candles) return;
        this.onCandle(update, now);
        break;
      case 'trades':
        if (update.channel !== this.channels.trades) return;
        this.tape.add(update.trades);
        if (update.source === 'stream') this.health.noteData(update.channel, now);
        break;
      case 'ticker':
        if (update.channel !== this.channels.ticker) return;
        this.ticker.set(update.ticker);
        this.health.noteData(update.channel, now);
        break;
      case 'orderbook':
        if (update.channel !== this.channels.orderbook) return;
        this.onBook(update, now);
        break;
    }
    this.pendingExchangeTs = update.exchange_ts;
    this.requestRender();
  }

  private onCandle(update: CandleUpdate, now: number): void {
    this.chart.upsert(update.candle);
    this.health.noteCandleData(now);
    if (update.source === 'stream') this.health.noteData(update.channel, now);
  }

  private onBook(update: OrderBookUpdate, now: number): void {
    this.bookDirty = true;
    if (update.action === 'snapshot') {
      this.book.replace(update.book);
      this.bookHasData = true;
      this.health.noteData(update.channel, now);
      return;
    }
    if (this.book.applyDelta(update.book) !== 'out-of-sync') return;
    // A lost delta: the book is wrong until a snapshot replaces it. Ask for one instead of waiting for luck.
    const channel = update.channel;
    const generation = this.generation;
    const waitMs = Math.max(0, this.bookRestartAt + BOOK_RESTART_MIN_MS - now);
    setTimeout(() => {
      if (generation !== this.generation || this.book.synced) return;
      this.bookRestartAt = Date.now();
      this.subscriptions.restart(channel);
    }, waitMs);
  }

  private onStatus(status: StatusMessage): void {
    this.health.noteStatus(status, Date.now());
    if (status.simulated) this.simulatedUpstream = true;
    this.requestRender();
  }

  private onError(error: WebSocketError): void {
    this.notify(`${error.code}: ${error.message}`);
  }

  /** After a (re)connect or a switch: the gateway only reports status changes, so read the current state once. */
  private seedHealth(): void {
    const startedAt = Date.now();
    fetchHealth()
      .then((summary) => {
        this.health.seed(summary, startedAt);
        this.requestRender();
      })
      .catch(() => undefined); // the candle watchdog still guards the screen
  }

  // ---- history -------------------------------------------------------------------------------

  /** Once per market: the newest 1000 candles from REST, of which those older than the chart's first are prepended. */
  private loadOlderCandles(): void {
    const selection = this.selection;
    if (!selection || this.history !== 'idle') return;
    this.history = 'loading';
    const generation = this.generation;
    fetchCandles(selection.symbol, selection.timeframe, HISTORY_CANDLES)
      .then((candles) => {
        if (generation !== this.generation) return;
        this.chart.prependOlder(candles);
        this.history = 'done';
      })
      .catch(() => {
        if (generation !== this.generation) return;
        this.notify('Could not load older candles; scroll left again to retry.');
        setTimeout(() => {
          if (generation === this.generation && this.history === 'loading') this.history = 'idle';
        }, HISTORY_RETRY_MS);
      });
  }

  // ---- drawing -------------------------------------------------------------------------------

  /** Views are written once per animation frame, however many messages arrived since the last one. */
  private requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.render();
    });
  }

  private render(): void {
    this.tape.render();
    this.ticker.render();
    if (this.bookDirty) {
      this.bookDirty = false;
      this.bookView.render(this.book, this.bookHasData);
    }
    if (this.pendingExchangeTs !== undefined) {
      this.shownDelayMs = Date.now() - this.pendingExchangeTs;
      this.pendingExchangeTs = undefined;
    }
    const price = this.ticker.price;
    const title = price && this.selection ? `${price} ${this.selection.symbol} · tickstream` : 'tickstream · live market';
    if (document.title !== title) document.title = title;
    this.renderBadge();
  }

  private renderBadge(): void {
    const view = this.health.evaluate(Date.now());
    this.badge.show(view);
    // The whole screen dims while it is not current: a frozen chart must not look live even out of the corner of an eye.
    if (document.documentElement.dataset['feed'] !== view.state) document.documentElement.dataset['feed'] = view.state;
    this.badge.showDelay(this.shownDelayMs);
    this.badge.showSimulated(this.simulatedUpstream || this.simulatedSnapshot);
  }

  private notify(text: string): void {
    const { notice } = this.hosts;
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (notice.hidden = true), NOTICE_MS);
  }
}

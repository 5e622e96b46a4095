/**
 * The 24 h ticker line: last price (green/red against the previous one, so a
 * glance tells which way it last moved), 24 h change, high, low, volume,
 * turnover, and, for derivatives only, mark and index price, funding rate
 * and open interest. Spot tickers carry none of those, so their cells hide
 * instead of showing dashes that look like missing data.
 * @module
 */
import type { TickerData } from '../../src/schemas/index.js';
import { element, setText } from './dom.js';
import { fractionAsPercent, signOf, utcDateTime } from './format.js';

type StatField = 'highPrice24h' | 'lowPrice24h' | 'volume24h' | 'turnover24h' | 'markPrice' | 'indexPrice' | 'fundingRate' | 'openInterest';

/** Shown when the ticker has the field: spot has no mark, index, funding or open interest. */
const STATS: readonly { field: StatField; label: string }[] = [
  { field: 'highPrice24h', label: '24h high' },
  { field: 'lowPrice24h', label: '24h low' },
  { field: 'volume24h', label: '24h volume' },
  { field: 'turnover24h', label: '24h turnover' },
  { field: 'markPrice', label: 'Mark' },
  { field: 'indexPrice', label: 'Index' },
  { field: 'fundingRate', label: 'Funding' },
  { field: 'openInterest', label: 'Open interest' },
];

export class TickerHeader {
  private readonly lastPrice = element('span', 'last-price', { testId: 'last-price' });
  private readonly change = element('span', 'price-change', { testId: 'price-change' });
  private readonly stats = new Map<StatField, { box: HTMLElement; value: HTMLElement }>();
  private ticker: TickerData | null = null;
  private previousPrice: string | undefined;
  private direction: 'up' | 'down' | '' = '';
  private dirty = true;

  constructor(host: HTMLElement) {
    host.setAttribute('aria-label', '24 hour ticker');
    const main = element('div', 'ticker-main');
    this.lastPrice.setAttribute('aria-label', 'Last price');
    this.change.setAttribute('aria-label', '24 hour change');
    main.append(this.lastPrice, this.change);
    const list = element('dl', 'ticker-stats');
    for (const stat of STATS) {
      const box = element('div', `stat stat-${stat.field}`);
      const value = element('dd', '', { testId: `ticker-${stat.field}` });
      box.append(element('dt', '', { text: stat.label }), value);
      box.hidden = true;
      list.append(box);
      this.stats.set(stat.field, { box, value });
    }
    host.append(main, list);
  }

  /** The last price as sent ('' before the first ticker), for the page title. */
  get price(): string {
    return this.ticker?.lastPrice ?? '';
  }

  clear(): void {
    this.ticker = null;
    this.previousPrice = undefined;
    this.direction = '';
    this.dirty = true;
  }

  /** A snapshot or an update: the gateway always sends the full merged ticker. */
  set(ticker: TickerData | null): void {
    const price = ticker?.lastPrice;
    if (price !== undefined && this.previousPrice !== undefined && price !== this.previousPrice) {
      const move = Number(price) - Number(this.previousPrice);
      if (move !== 0) this.direction = move > 0 ? 'up' : 'down';
    }
    if (price !== undefined) this.previousPrice = price;
    this.ticker = ticker;
    this.dirty = true;
  }

  render(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const ticker = this.ticker;
    setText(this.lastPrice, ticker?.lastPrice ?? '');
    this.lastPrice.classList.toggle('up', this.direction === 'up');
    this.lastPrice.classList.toggle('down', this.direction === 'down');
    setText(this.change, fractionAsPercent(ticker?.price24hPcnt));
    const sign = signOf(ticker?.price24hPcnt);
    this.change.classList.toggle('up', sign > 0);
    this.change.classList.toggle('down', sign < 0);
    for (const stat of STATS) {
      const cell = this.stats.get(stat.field);
      const raw = ticker?.[stat.field];
      if (!cell) continue;
      cell.box.hidden = raw === undefined || raw === '';
      if (stat.field === 'fundingRate') {
        setText(cell.value, fractionAsPercent(raw, 4));
        const next = Number(ticker?.nextFundingTime);
        cell.box.title = Number.isFinite(next) && next > 0 ? `Next funding ${utcDateTime(next)}` : '';
      } else {
        setText(cell.value, raw ?? '');
      }
    }
  }
}

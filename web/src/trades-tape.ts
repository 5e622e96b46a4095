/**
 * The trades tape: the latest fills, newest on top, the taker side coloured
 * (green: a buyer lifted the offer, red: a seller hit the bid). Trades are
 * queued as they arrive and written once per frame, so a burst of fills costs
 * one DOM update and a background tab costs none.
 * @module
 */
import type { TradeData } from '../../src/schemas/index.js';
import { element } from './dom.js';
import { utcClock } from './format.js';

/** Rows kept on the tape. */
export const TAPE_ROWS = 50;
const FLASH_MAX_ROWS = 6;

export class TradesTape {
  private readonly list = element('div', 'tape-rows');
  /** Newest first, not yet on screen. */
  private pending: TradeData[] = [];
  private replaceAll = true;
  private hasData = false;

  constructor(host: HTMLElement) {
    host.setAttribute('role', 'table');
    host.setAttribute('aria-label', `Recent trades, newest first (last ${TAPE_ROWS})`);
    const head = element('div', 'tape-row tape-head');
    head.setAttribute('role', 'row');
    for (const title of ['Time (UTC)', 'Price', 'Size']) {
      const cell = element('span', '', { text: title });
      cell.setAttribute('role', 'columnheader');
      head.append(cell);
    }
    this.list.setAttribute('role', 'rowgroup');
    host.append(head, this.list);
    this.clear();
  }

  clear(): void {
    this.pending = [];
    this.replaceAll = true;
    this.hasData = false;
    this.list.replaceChildren(element('div', 'tape-empty', { text: 'Waiting for trades…' }));
  }

  /** A snapshot (oldest first): the tape restarts from it. */
  replace(trades: readonly TradeData[]): void {
    this.pending = trades.slice(-TAPE_ROWS).reverse();
    this.replaceAll = true;
    this.hasData = true;
  }

  /** An update's trades (oldest first). */
  add(trades: readonly TradeData[]): void {
    this.pending = [...trades.slice(-TAPE_ROWS).reverse(), ...this.pending].slice(0, TAPE_ROWS);
    this.hasData = true;
  }

  /** Writes what arrived since the last frame. */
  render(): void {
    if (!this.hasData || (this.pending.length === 0 && !this.replaceAll)) return;
    // A flash marks the odd new fill; in a burst every row would flash, which says nothing.
    const fresh = !this.replaceAll && this.pending.length <= FLASH_MAX_ROWS;
    const rows = this.pending.map((trade) => tradeRow(trade, fresh));
    if (this.replaceAll) {
      this.list.replaceChildren(...rows);
      if (rows.length === 0) this.list.append(element('div', 'tape-empty', { text: 'No trades yet' }));
    } else {
      this.list.querySelector('.tape-empty')?.remove();
      this.list.prepend(...rows);
      while (this.list.children.length > TAPE_ROWS) this.list.lastElementChild?.remove();
    }
    this.pending = [];
    this.replaceAll = false;
  }
}

function tradeRow(trade: TradeData, fresh: boolean): HTMLElement {
  const side = trade.side === 'Buy' ? 'buy' : 'sell';
  const row = element('div', `tape-row ${side}${fresh ? ' fresh' : ''}`, { testId: 'trade-row' });
  row.dataset['side'] = trade.side;
  row.setAttribute('role', 'row');
  const flags = [trade.blockTrade ? 'block trade' : '', trade.rpi ? 'RPI' : ''].filter(Boolean);
  row.title = `${trade.side} ${trade.size} @ ${trade.price}${flags.length ? ` (${flags.join(', ')})` : ''}`;
  for (const [name, text] of [
    ['time', utcClock(trade.timestamp)],
    ['price', trade.price],
    ['size', trade.size],
  ] as const) {
    const cell = element('span', name, { text });
    cell.setAttribute('role', 'cell');
    row.append(cell);
  }
  if (trade.blockTrade) row.classList.add('block');
  return row;
}

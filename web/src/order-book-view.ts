/**
 * The order-book ladder: the best asks above the spread (best nearest it),
 * the best bids below, each row with its price, size and running total, and
 * a depth bar sized by the running total so walls stand out at a glance.
 * Rows are reused between renders (only their text and bar change), which
 * keeps a fast book cheap to draw all day.
 * @module
 */
import { element, setText } from './dom.js';
import { decimalPlaces, subtractDecimals } from './format.js';
import type { BookLevel, OrderBook } from './order-book.js';

/** Levels shown per side. */
export const BOOK_LEVELS = 12;

export class OrderBookView {
  private readonly asks = element('div', 'book-side book-asks', { label: 'Asks' });
  private readonly bids = element('div', 'book-side book-bids', { label: 'Bids' });
  private readonly spread = element('div', 'book-spread', { testId: 'spread' });
  private readonly note = element('div', 'book-note');

  constructor(private readonly host: HTMLElement) {
    host.setAttribute('role', 'table');
    host.setAttribute('aria-label', `Order book, best ${BOOK_LEVELS} levels per side`);
    const head = element('div', 'book-row book-head');
    head.setAttribute('role', 'row');
    for (const title of ['Price', 'Size', 'Total']) {
      const cell = element('span', '', { text: title });
      cell.setAttribute('role', 'columnheader');
      head.append(cell);
    }
    this.asks.setAttribute('role', 'rowgroup');
    this.bids.setAttribute('role', 'rowgroup');
    this.spread.setAttribute('role', 'row');
    host.append(head, this.asks, this.spread, this.bids, this.note);
    this.clear();
  }

  clear(): void {
    this.asks.replaceChildren();
    this.bids.replaceChildren();
    setText(this.spread, 'Spread —');
    this.showNote('Waiting for the book…');
  }

  render(book: OrderBook, hasData: boolean): void {
    const asks = book.topAsks(BOOK_LEVELS);
    const bids = book.topBids(BOOK_LEVELS);
    const sizePlaces = Math.max(0, ...asks.map((level) => decimalPlaces(level.size)), ...bids.map((level) => decimalPlaces(level.size)));
    const askTotals = runningTotals(asks);
    const bidTotals = runningTotals(bids);
    const deepest = Math.max(askTotals.at(-1) ?? 0, bidTotals.at(-1) ?? 0) || 1;
    // Asks are listed worst first so the best ask sits right above the spread.
    this.fill(this.asks, 'ask', [...asks].reverse(), [...askTotals].reverse(), deepest, sizePlaces);
    this.fill(this.bids, 'bid', bids, bidTotals, deepest, sizePlaces);
    setText(this.spread, spreadText(asks[0], bids[0]));
    this.host.classList.toggle('out-of-sync', hasData && !book.synced);
    if (hasData && !book.synced) this.showNote('Book out of sync: waiting for a fresh snapshot');
    else if (!hasData) this.showNote('Waiting for the book…');
    else this.showNote('');
  }

  private showNote(text: string): void {
    setText(this.note, text);
    this.note.hidden = text === '';
  }

  private fill(container: HTMLElement, side: 'ask' | 'bid', levels: readonly BookLevel[], totals: readonly number[], deepest: number, sizePlaces: number): void {
    while (container.children.length > levels.length) container.lastElementChild?.remove();
    while (container.children.length < levels.length) container.append(bookRow(side));
    levels.forEach((level, index) => {
      const row = container.children[index];
      if (!(row instanceof HTMLElement)) return;
      const [price, size, total] = row.children;
      const sum = totals[index] ?? 0;
      if (price) setText(price, level.price);
      if (size) setText(size, level.size);
      if (total) setText(total, sum.toFixed(sizePlaces));
      row.style.setProperty('--depth', `${((sum / deepest) * 100).toFixed(1)}%`);
    });
  }
}

function bookRow(side: 'ask' | 'bid'): HTMLElement {
  const row = element('div', `book-row ${side}`, { testId: `${side}-row` });
  row.setAttribute('role', 'row');
  for (const name of ['price', 'size', 'total']) {
    const cell = element('span', name);
    cell.setAttribute('role', 'cell');
    row.append(cell);
  }
  return row;
}

function runningTotals(levels: readonly BookLevel[]): number[] {
  let sum = 0;
  return levels.map((level) => (sum += Number(level.size)));
}

function spreadText(bestAsk: BookLevel | undefined, bestBid: BookLevel | undefined): string {
  if (!bestAsk || !bestBid) return 'Spread —';
  const spread = subtractDecimals(bestAsk.price, bestBid.price);
  const mid = (Number(bestAsk.price) + Number(bestBid.price)) / 2;
  const bps = mid > 0 ? (Number(spread) / mid) * 10_000 : 0;
  return `Spread ${spread} · ${bps.toFixed(2)} bps`;
}

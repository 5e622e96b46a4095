/**
 * The symbol and timeframe pickers, filled from the gateway's channel list:
 * the symbols that have candle channels, and for the chosen symbol the
 * timeframes it serves (a timeframe the gateway does not serve would only
 * produce an error). Option values are the exchange's own codes ("BTCUSDT",
 * "1", "D"); labels are what traders read ("1m", "1D").
 * @module
 */
import type { Timeframe } from '../../src/schemas/index.js';
import { element } from './dom.js';
import { timeframeLabel } from './format.js';
import type { ChannelInfo } from './gateway-api.js';

export interface Selection {
  readonly symbol: string;
  readonly timeframe: Timeframe;
}

const TIMEFRAME_ORDER: readonly Timeframe[] = ['1', '3', '5', '15', '30', '60', '120', '240', '360', '720', 'D', 'W', 'M'];
const PREFERRED_SYMBOL = 'BTCUSDT';
const PREFERRED_TIMEFRAME: Timeframe = '1';

export class MarketPickers {
  private readonly symbolSelect = element('select', 'picker', { testId: 'symbol-picker' });
  private readonly timeframeSelect = element('select', 'picker', { testId: 'timeframe-picker' });
  /** symbol → served timeframes, in ascending duration. */
  private markets = new Map<string, Timeframe[]>();

  constructor(
    host: HTMLElement,
    private readonly onChange: (selection: Selection) => void,
  ) {
    host.append(this.labelled('Symbol', 'symbol-picker', this.symbolSelect), this.labelled('Timeframe', 'timeframe-picker', this.timeframeSelect));
    this.symbolSelect.disabled = true;
    this.timeframeSelect.disabled = true;
    this.symbolSelect.addEventListener('change', () => {
      const symbol = this.symbolSelect.value;
      const selection = this.resolve({ symbol, timeframe: this.timeframeSelect.value });
      if (selection) {
        this.show(selection);
        this.onChange(selection);
      }
    });
    this.timeframeSelect.addEventListener('change', () => {
      const selection = this.resolve({ symbol: this.symbolSelect.value, timeframe: this.timeframeSelect.value });
      if (selection) this.onChange(selection);
    });
  }

  /** Rebuilds the choices from /channels; returns false when no candle channel is served at all. */
  setChannels(channels: readonly ChannelInfo[]): boolean {
    const markets = new Map<string, Set<Timeframe>>();
    for (const info of channels) {
      if (info.subscription !== 'candles' || !info.timeframe) continue;
      const timeframes = markets.get(info.symbol) ?? new Set<Timeframe>();
      timeframes.add(info.timeframe);
      markets.set(info.symbol, timeframes);
    }
    this.markets = new Map(
      [...markets.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([symbol, timeframes]) => [symbol, TIMEFRAME_ORDER.filter((timeframe) => timeframes.has(timeframe))]),
    );
    this.symbolSelect.replaceChildren(...[...this.markets.keys()].map((symbol) => new Option(symbol, symbol)));
    this.symbolSelect.disabled = this.markets.size === 0;
    this.timeframeSelect.disabled = this.markets.size === 0;
    return this.markets.size > 0;
  }

  /** A served selection as close to `wanted` as possible: its symbol (else BTCUSDT, else the first), its timeframe (else 1m, else the shortest). */
  resolve(wanted: { symbol?: string | null; timeframe?: string | null }): Selection | undefined {
    const symbols = [...this.markets.keys()];
    const wantedSymbol = wanted.symbol?.toUpperCase();
    const symbol = symbols.find((s) => s === wantedSymbol) ?? symbols.find((s) => s === PREFERRED_SYMBOL) ?? symbols[0];
    if (symbol === undefined) return undefined;
    const timeframes = this.markets.get(symbol) ?? [];
    const timeframe = timeframes.find((t) => t === wanted.timeframe) ?? timeframes.find((t) => t === PREFERRED_TIMEFRAME) ?? timeframes[0];
    return timeframe === undefined ? undefined : { symbol, timeframe };
  }

  /** Shows `selection` in both pickers (the timeframe list follows the symbol). */
  show(selection: Selection): void {
    this.symbolSelect.value = selection.symbol;
    const timeframes = this.markets.get(selection.symbol) ?? [];
    const current = [...this.timeframeSelect.options].map((option) => option.value).join(',');
    if (current !== timeframes.join(',')) {
      this.timeframeSelect.replaceChildren(...timeframes.map((timeframe) => new Option(timeframeLabel(timeframe), timeframe)));
    }
    this.timeframeSelect.value = selection.timeframe;
  }

  private labelled(text: string, id: string, select: HTMLSelectElement): HTMLElement {
    select.id = id;
    const label = element('label', 'picker-label', { text });
    label.htmlFor = id;
    const box = element('div', 'picker-box');
    box.append(label, select);
    return box;
  }
}

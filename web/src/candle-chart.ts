/**
 * The price chart: candles with volume on its own scale, drawn by
 * lightweight-charts. It knows nothing about sockets or channels: the page
 * hands it candles (a snapshot, live updates, older history) and it keeps
 * them in a {@link CandleHistory}, so what is drawn and what the test hook
 * reports can never disagree.
 *
 * Times are UTC (the library draws UTC seconds); the legend shows the hovered
 * (else the latest) candle's values as the exchange sent them.
 * @module
 */
import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  createChart,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type LogicalRange,
  type MouseEventParams,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { CandleData } from '../../src/schemas/index.js';
import { CandleHistory } from './candle-history.js';
import { element, setText } from './dom.js';
import { decimalPlaces } from './format.js';

export interface ChartPalette {
  readonly background: string;
  readonly text: string;
  readonly grid: string;
  readonly border: string;
  readonly up: string;
  readonly down: string;
  readonly upVolume: string;
  readonly downVolume: string;
}

export interface CandleChartOptions {
  readonly palette: ChartPalette;
  /** The user brought the oldest candle into view (called on every such move; the caller decides whether to load). */
  readonly onNearLeftEdge: () => void;
}

/** Bars from the left edge that count as "at the edge". */
const LEFT_EDGE_BARS = 5;

const toTime = (timestampMs: number): UTCTimestamp => Math.floor(timestampMs / 1000) as UTCTimestamp;

export class CandleChart {
  private readonly history = new CandleHistory();
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private palette: ChartPalette;
  private precision = -1;
  /** The next snapshot starts a new view (after clear): show the latest candles at the default zoom. */
  private freshView = true;
  /** The history load only follows the user's own scrolling, not the first paint of a short snapshot. */
  private userMoved = false;
  private hoveredTime: number | undefined;
  private readonly legendTitle = element('span', 'legend-title');
  private readonly legendValues = element('span', 'legend-values');
  private readonly emptyNote = element('div', 'chart-empty', { text: 'Waiting for candles…' });
  private readonly latestButton = element('button', 'chart-latest', { text: 'Latest →', label: 'Scroll to the latest candle' });

  constructor(
    host: HTMLElement,
    private readonly options: CandleChartOptions,
  ) {
    this.palette = options.palette;
    this.chart = createChart(host, {
      autoSize: true,
      layout: { fontFamily: getComputedStyle(host).fontFamily, fontSize: 11, attributionLogo: true },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { scaleMargins: { top: 0.08, bottom: 0.26 } },
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 4 },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, { priceLineVisible: true });
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.applyPalette();

    const legend = element('div', 'chart-legend');
    legend.append(this.legendTitle, this.legendValues);
    this.latestButton.type = 'button';
    this.latestButton.hidden = true;
    this.latestButton.addEventListener('click', () => this.chart.timeScale().scrollToRealTime());
    host.append(legend, this.emptyNote, this.latestButton);

    for (const type of ['pointerdown', 'wheel', 'touchstart', 'keydown'] as const) {
      host.addEventListener(type, () => (this.userMoved = true), { passive: true });
    }
    this.chart.timeScale().subscribeVisibleLogicalRangeChange((range) => this.onRangeChange(range));
    this.chart.subscribeCrosshairMove((param) => this.onCrosshairMove(param));
  }

  /** The legend's first words, e.g. "BTCUSDT · 1m". */
  setTitle(title: string): void {
    setText(this.legendTitle, title);
  }

  all(): readonly CandleData[] {
    return this.history.all();
  }

  last(): CandleData | undefined {
    return this.history.last();
  }

  /** Drops every candle (a new channel is coming): the chart must never show one market's candles under another's name. */
  clear(): void {
    this.history.clear();
    this.candles.setData([]);
    this.volume.setData([]);
    this.precision = -1;
    this.freshView = true;
    this.userMoved = false;
    this.hoveredTime = undefined;
    this.refreshDecorations();
  }

  /** A snapshot: replaces every candle. */
  setCandles(candles: readonly CandleData[]): void {
    this.history.replace(candles);
    this.updatePrecision(this.history.all());
    this.redrawAll();
    if (this.freshView) {
      this.freshView = false;
      this.chart.timeScale().resetTimeScale();
    }
    this.refreshDecorations();
  }

  /** A live update: the forming candle moves, or a new one starts. */
  upsert(candle: CandleData): void {
    const result = this.history.upsert(candle);
    if (result === 'ignored') return;
    this.updatePrecision([candle]);
    switch (result) {
      case 'appended':
      case 'replaced-last':
        this.candles.update(this.toBar(candle));
        this.volume.update(this.toVolume(candle));
        break;
      case 'replaced-older':
        this.candles.update(this.toBar(candle), true);
        this.volume.update(this.toVolume(candle), true);
        break;
      case 'inserted-older':
        this.redrawAll();
        break;
    }
    this.refreshDecorations();
  }

  /** Older candles (from REST): prepends those before the oldest held, keeping the user's view where it is. */
  prependOlder(older: readonly CandleData[]): number {
    const added = this.history.prependOlder(older);
    if (added === 0) return 0;
    this.updatePrecision(older);
    const range = this.chart.timeScale().getVisibleLogicalRange();
    this.redrawAll();
    if (range) this.chart.timeScale().setVisibleLogicalRange({ from: range.from + added, to: range.to + added });
    return added;
  }

  setPalette(palette: ChartPalette): void {
    this.palette = palette;
    this.applyPalette();
    this.volume.setData(this.history.all().map((candle) => this.toVolume(candle)));
    this.refreshLegend();
  }

  private applyPalette(): void {
    const { background, text, grid, border, up, down } = this.palette;
    this.chart.applyOptions({
      layout: { background: { type: ColorType.Solid, color: background }, textColor: text },
      grid: { vertLines: { color: grid }, horzLines: { color: grid } },
      rightPriceScale: { borderColor: border },
      timeScale: { borderColor: border },
    });
    this.candles.applyOptions({ upColor: up, downColor: down, borderUpColor: up, borderDownColor: down, wickUpColor: up, wickDownColor: down });
  }

  private redrawAll(): void {
    const all = this.history.all();
    this.candles.setData(all.map((candle) => this.toBar(candle)));
    this.volume.setData(all.map((candle) => this.toVolume(candle)));
  }

  private toBar(candle: CandleData): CandlestickData<Time> {
    return { time: toTime(candle.timestamp), open: Number(candle.open), high: Number(candle.high), low: Number(candle.low), close: Number(candle.close) };
  }

  private toVolume(candle: CandleData): HistogramData<Time> {
    const up = Number(candle.close) >= Number(candle.open);
    return { time: toTime(candle.timestamp), value: Number(candle.volume), color: up ? this.palette.upVolume : this.palette.downVolume };
  }

  /** The price axis shows as many decimals as the exchange quotes (the longest price string seen). */
  private updatePrecision(candles: readonly CandleData[]): void {
    let precision = this.precision;
    for (const candle of candles) {
      precision = Math.max(precision, decimalPlaces(candle.open), decimalPlaces(candle.high), decimalPlaces(candle.low), decimalPlaces(candle.close));
    }
    if (precision === this.precision || precision < 0) return;
    this.precision = precision;
    this.candles.applyOptions({ priceFormat: { type: 'price', precision, minMove: 10 ** -precision } });
  }

  private onRangeChange(range: LogicalRange | null): void {
    if (!range || this.history.length === 0) return;
    this.latestButton.hidden = this.chart.timeScale().scrollPosition() > -3;
    if (this.userMoved && range.from < LEFT_EDGE_BARS) this.options.onNearLeftEdge();
  }

  private onCrosshairMove(param: MouseEventParams): void {
    this.hoveredTime = typeof param.time === 'number' ? param.time * 1000 : undefined;
    this.refreshLegend();
  }

  private refreshDecorations(): void {
    this.emptyNote.hidden = this.history.length > 0;
    if (this.history.length === 0) this.latestButton.hidden = true;
    this.refreshLegend();
  }

  private refreshLegend(): void {
    const candle = (this.hoveredTime !== undefined ? this.history.at(this.hoveredTime) : undefined) ?? this.history.last();
    if (!candle) {
      this.legendValues.replaceChildren();
      return;
    }
    const direction = Number(candle.close) >= Number(candle.open) ? 'up' : 'down';
    const parts: [string, string][] = [
      ['O', candle.open],
      ['H', candle.high],
      ['L', candle.low],
      ['C', candle.close],
      ['V', candle.volume],
    ];
    const key = `${direction}|${parts.map((part) => part[1]).join('|')}`;
    if (this.legendValues.dataset['key'] === key) return;
    this.legendValues.dataset['key'] = key;
    this.legendValues.replaceChildren(
      ...parts.map(([label, value]) => {
        const item = element('span', 'legend-item');
        item.append(`${label} `, element('b', label === 'V' ? '' : direction, { text: value }));
        return item;
      }),
    );
  }
}

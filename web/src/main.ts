/**
 * Entry point of the live market page (bundled as /assets/app.js): finds the
 * layout's hosts in index.html, applies the theme before anything is drawn,
 * and starts the page. Everything else lives in one module per job.
 * @module
 */
import { requireElement } from './dom.js';
import { MarketPage } from './market-page.js';
import { ThemeController } from './theme.js';

const theme = new ThemeController(requireElement('theme-toggle', HTMLButtonElement));
const page = new MarketPage(
  {
    chart: requireElement('chart', HTMLElement),
    pickers: requireElement('pickers', HTMLElement),
    ticker: requireElement('ticker', HTMLElement),
    connection: requireElement('connection', HTMLElement),
    orderbook: requireElement('orderbook', HTMLElement),
    trades: requireElement('trades', HTMLElement),
    notice: requireElement('notice', HTMLElement),
  },
  theme,
);
page.start();

/**
 * Light and dark themes. The page follows the system's prefers-color-scheme
 * until the user presses the toggle; that choice is remembered (localStorage)
 * and wins from then on. Colours live in styles.css as custom properties, and
 * the chart's palette is read from the same properties, so CSS stays the one
 * place a colour is defined.
 * @module
 */
import type { ChartPalette } from './candle-chart.js';

export type ThemeName = 'light' | 'dark';

const STORAGE_KEY = 'tickstream.theme';

// Drawn, not typed: no font on a bare Linux desktop is guaranteed to have ☀ or ☾.
const ICON = (body: string): string =>
  `<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">${body}</svg>`;
const SUN_ICON = ICON('<circle cx="12" cy="12" r="4.5"/><path d="M12 2v2.5M12 19.5V22M2 12h2.5M19.5 12H22M4.9 4.9l1.8 1.8M17.3 17.3l1.8 1.8M4.9 19.1l1.8-1.8M17.3 6.7l1.8-1.8"/>');
const MOON_ICON = ICON('<path d="M20 14.5A8.5 8.5 0 0 1 9.5 4a8.5 8.5 0 1 0 10.5 10.5z"/>');

function storedTheme(): ThemeName | undefined {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : undefined;
  } catch {
    return undefined; // storage disabled (privacy mode): follow the system
  }
}

function storeTheme(theme: ThemeName): void {
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // not remembered, still applied
  }
}

export class ThemeController {
  private readonly media = window.matchMedia('(prefers-color-scheme: dark)');
  private readonly listeners = new Set<(theme: ThemeName) => void>();
  private current: ThemeName;

  constructor(private readonly toggle: HTMLButtonElement) {
    this.current = storedTheme() ?? (this.media.matches ? 'dark' : 'light');
    this.apply();
    this.media.addEventListener('change', () => {
      if (storedTheme()) return;
      this.current = this.media.matches ? 'dark' : 'light';
      this.apply();
    });
    toggle.addEventListener('click', () => {
      this.current = this.current === 'dark' ? 'light' : 'dark';
      storeTheme(this.current);
      this.apply();
    });
  }

  get theme(): ThemeName {
    return this.current;
  }

  onChange(listener: (theme: ThemeName) => void): void {
    this.listeners.add(listener);
  }

  /** The chart's colours, from the CSS custom properties of the theme in force. */
  chartPalette(): ChartPalette {
    const style = getComputedStyle(document.documentElement);
    const color = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
    return {
      background: color('--panel', '#ffffff'),
      text: color('--muted', '#555555'),
      grid: color('--grid', '#eeeeee'),
      border: color('--border', '#dddddd'),
      up: color('--up', '#16a34a'),
      down: color('--down', '#dc2626'),
      upVolume: color('--up-volume', 'rgba(22, 163, 74, 0.35)'),
      downVolume: color('--down-volume', 'rgba(220, 38, 38, 0.35)'),
    };
  }

  private apply(): void {
    document.documentElement.dataset['theme'] = this.current;
    const next = this.current === 'dark' ? 'light' : 'dark';
    this.toggle.setAttribute('aria-label', `Switch to ${next} theme`);
    this.toggle.title = `Switch to ${next} theme`;
    this.toggle.innerHTML = this.current === 'dark' ? SUN_ICON : MOON_ICON;
    for (const listener of this.listeners) listener(this.current);
  }
}

/** Integer query parameters (`limit`, `since`), read the same way on every endpoint. @module */

/** undefined when absent or empty, null when not a plain integer in [min, max]. */
export function parseQueryInt(raw: string | null | undefined, min: number, max: number): number | undefined | null {
  if (raw === null || raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) return null;
  const value = Number(raw);
  return value >= min && value <= max ? value : null;
}

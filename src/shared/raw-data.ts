/** Text of a `ws` message, whichever of its three buffer shapes it arrived in. @module */
import type { RawData } from 'ws';

export function rawDataText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/**
 * Publishes the message contract as JSON Schema files in schemas/ (one per
 * message, draft 2020-12 compatible, $id = message name). `--check` fails when
 * the committed files differ from the TypeScript definitions, so the published
 * schemas can never drift from the code.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import * as schemas from '../src/schemas/index.js';

const OUT_DIR = 'schemas';

const published: Record<string, TSchema> = {
  CandleData: schemas.CandleDataSchema,
  TradeData: schemas.TradeDataSchema,
  TickerData: schemas.TickerDataSchema,
  OrderBookData: schemas.OrderBookDataSchema,
  CandleUpdate: schemas.CandleUpdateSchema,
  TradeUpdate: schemas.TradeUpdateSchema,
  TickerUpdate: schemas.TickerUpdateSchema,
  OrderBookUpdate: schemas.OrderBookUpdateSchema,
  CandleSnapshot: schemas.CandleSnapshotSchema,
  TradeSnapshot: schemas.TradeSnapshotSchema,
  TickerSnapshot: schemas.TickerSnapshotSchema,
  OrderBookSnapshot: schemas.OrderBookSnapshotSchema,
  WebSocketSubscription: schemas.WebSocketSubscriptionSchema,
  SubscriptionResponse: schemas.SubscriptionResponseSchema,
  WebSocketError: schemas.WebSocketErrorSchema,
  HeartbeatMessage: schemas.HeartbeatMessageSchema,
  StatusMessage: schemas.StatusMessageSchema,
  SubscriptionType: schemas.SubscriptionTypeSchema,
  CandleStatus: schemas.CandleStatusSchema,
  MessageType: schemas.MessageTypeSchema,
  Timeframe: schemas.TimeframeSchema,
};

function render(name: string, schema: TSchema): string {
  // JSON.stringify drops TypeBox's symbol-keyed metadata, leaving plain JSON Schema.
  const document = { $schema: 'https://json-schema.org/draft/2020-12/schema', ...(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>), $id: name };
  return `${JSON.stringify(document, null, 2)}\n`;
}

const check = process.argv.includes('--check');
mkdirSync(OUT_DIR, { recursive: true });
const stale: string[] = [];
for (const [name, schema] of Object.entries(published)) {
  const path = join(OUT_DIR, `${name}.schema.json`);
  const text = render(name, schema);
  if (check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = '';
    }
    if (current !== text) stale.push(path);
  } else {
    writeFileSync(path, text);
  }
}
const expected = new Set(Object.keys(published).map((name) => `${name}.schema.json`));
const extra = readdirSync(OUT_DIR).filter((file) => file.endsWith('.schema.json') && !expected.has(file));
if (check) {
  if (stale.length > 0 || extra.length > 0) {
    console.error(`JSON Schemas out of date: ${[...stale, ...extra].join(', ')}\nRun: npm run schemas`);
    process.exit(1);
  }
  console.log(`JSON Schemas up to date (${expected.size} files)`);
} else {
  console.log(`wrote ${expected.size} JSON Schemas to ${OUT_DIR}/`);
}

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

/** One Markdown section per message: field, type, required, meaning: generated, so it cannot drift. */
function describeType(schema: Record<string, unknown>): string {
  if (typeof schema.const === 'string') return `\`"${schema.const}"\``;
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Record<string, unknown>[]).map(describeType).join(' \\| ');
  if (schema.type === 'array') {
    const items = schema.items as Record<string, unknown> | Record<string, unknown>[] | undefined;
    if (Array.isArray(items)) return `[${items.map(describeType).join(', ')}]`;
    return `${items ? describeType(items) : 'any'}[]`;
  }
  if (typeof schema.$id === 'string' && schema.type === 'object') return String(schema.$id);
  if (schema.type === 'string' && typeof schema.pattern === 'string' && schema.pattern.includes('[0-9]+(\\.')) return 'decimal string';
  return typeof schema.type === 'string' ? schema.type : 'any';
}

function messageReference(): string {
  const lines = [
    '# Message reference',
    '',
    'Generated from `src/schemas/` by `npm run schemas` (do not edit by hand; `npm test` fails when it is stale).',
    'The JSON Schemas themselves are in [`schemas/`](../schemas/).',
    '',
  ];
  for (const [name, schema] of Object.entries(published)) {
    const document = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
    const properties = document.properties as Record<string, Record<string, unknown>> | undefined;
    if (!properties) continue;
    const required = new Set((document.required as string[] | undefined) ?? []);
    lines.push(`## ${name}`, '');
    if (typeof document.description === 'string') lines.push(document.description, '');
    lines.push('| Field | Type | Required | Meaning |', '|---|---|---|---|');
    for (const [field, property] of Object.entries(properties)) {
      const meaning = typeof property.description === 'string' ? property.description.replace(/\|/g, '\\|') : '';
      lines.push(`| \`${field}\` | ${describeType(property)} | ${required.has(field) ? 'yes' : 'no'} | ${meaning} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
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
const referencePath = 'docs/messages.md';
const reference = messageReference();
if (check) {
  let current = '';
  try {
    current = readFileSync(referencePath, 'utf8');
  } catch {
    current = '';
  }
  if (current !== reference) stale.push(referencePath);
} else {
  writeFileSync(referencePath, reference);
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

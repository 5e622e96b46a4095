/**
 * The message contract every part of tickstream speaks. Depends on nothing in src/.
 * @module
 */
export * from './enums.js';
export * from './primitives.js';
export * from './market-data.js';
export * from './messages.js';
export * from './channels.js';
export * from './decimal.js';
export * from './validators.js';

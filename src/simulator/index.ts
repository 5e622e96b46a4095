/**
 * Bybit v5-compatible simulator: public WebSocket streams, REST market
 * endpoints and fault injection, for demos, development and tests.
 * @module
 */
export { BybitSimulator, type SimulatorState } from './bybit-simulator.js';
export {
  DEFAULT_SIMULATOR_OPTIONS,
  DEFAULT_SYMBOLS,
  resolveSimulatorOptions,
  type SimulatorOptions,
  type SimulatorSymbols,
} from './simulator-options.js';
export { FAULT_ACTIONS, type FaultAction, type FaultControls } from './control-routes.js';
export type { SubscribeRequestRecord } from './ws-session.js';

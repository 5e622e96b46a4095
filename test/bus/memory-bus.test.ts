/**
 * The memory bus against the MarketBus contract. All buses share one broker,
 * as all Redis buses in redis-bus.test.ts share one server.
 */
import { createMemoryBus, MemoryBroker } from '../../src/bus/memory-bus.js';
import { coordinationContract } from './coordination.contract.js';
import { marketBusContract } from './market-bus.contract.js';

const broker = new MemoryBroker();

marketBusContract('memory bus', (options) => createMemoryBus({ ...options, broker }));
coordinationContract('memory bus', (options) => createMemoryBus({ ...options, broker }));

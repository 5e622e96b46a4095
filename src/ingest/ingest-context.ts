/** What every stream handler shares: where to publish, what to count, the clock. @module */
import type { Logger } from '../shared/logger.js';
import type { ChannelPublisher } from './channel-publisher.js';
import type { IngestCounters } from './ingest-counters.js';
import type { StatusReporter } from './status-reporter.js';

export interface IngestContext {
  readonly publisher: ChannelPublisher;
  readonly counters: IngestCounters;
  readonly status: StatusReporter;
  readonly logger: Logger;
  readonly now: () => number;
}

/** A configuration value is missing or wrong; the message names the flag/env var and the rule. @module */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

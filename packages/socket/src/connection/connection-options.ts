import {
  ConfigurationError,
  requireNonEmptyString,
  requirePositiveInteger,
  resolveReconnectBackoff,
} from '@dstream/core';

/** How a socket connector connects and reconnects. */
export interface ConnectionOptions {
  /** Milliseconds before the first reconnection attempt (default 500); doubled after each failure. */
  readonly reconnectDelay?: number;
  /** The longest delay between reconnection attempts, in milliseconds (default 30 000). */
  readonly maxReconnectDelay?: number;
  /** Milliseconds a connection attempt may take (default 10 000). */
  readonly connectTimeout?: number;
}

/** Connection settings with defaults applied, validated. */
export interface ResolvedConnection {
  readonly host: string;
  readonly port: number;
  readonly reconnectDelay: number;
  readonly maxReconnectDelay: number;
  readonly connectTimeout: number;
}

/** The names of the {@link ConnectionOptions}, for unknown-option checks. */
export const CONNECTION_OPTION_NAMES = [
  'reconnectDelay',
  'maxReconnectDelay',
  'connectTimeout',
] as const;

/** Validates a host, a port and the connection options; errors name the option. */
export function resolveConnection(
  host: unknown,
  port: unknown,
  options: ConnectionOptions,
): ResolvedConnection {
  requireNonEmptyString('host', host);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigurationError('port', port, 'expected a whole number from 1 to 65535');
  }
  const { reconnectDelay, maxReconnectDelay } = resolveReconnectBackoff(options);
  const connectTimeout = requirePositiveInteger('connectTimeout', options.connectTimeout ?? 10_000);
  return { host: host as string, port, reconnectDelay, maxReconnectDelay, connectTimeout };
}

import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
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
  /** Milliseconds a connection attempt (with its TLS handshake) may take (default 10 000). */
  readonly connectTimeout?: number;
  /**
   * Connect over TLS: `true` with Node.js defaults, or the options of `tls.connect` (`ca`,
   * `cert`, `key`, `servername`, …). The server's certificate is verified against the trusted
   * CAs (Node.js's, or `ca`) and its host name unless `rejectUnauthorized: false` is given,
   * which accepts any certificate and should be used for tests only. Default: plain TCP.
   */
  readonly tls?: boolean | TlsConnectionOptions;
}

/** Connection settings with defaults applied, validated. */
export interface ResolvedConnection {
  readonly host: string;
  readonly port: number;
  readonly reconnectDelay: number;
  readonly maxReconnectDelay: number;
  readonly connectTimeout: number;
  /** The TLS options, or `undefined` for plain TCP. */
  readonly tls: TlsConnectionOptions | undefined;
}

/** The names of the {@link ConnectionOptions}, for unknown-option checks. */
export const CONNECTION_OPTION_NAMES = [
  'reconnectDelay',
  'maxReconnectDelay',
  'connectTimeout',
  'tls',
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
  return {
    host: host as string,
    port,
    reconnectDelay,
    maxReconnectDelay,
    connectTimeout,
    tls: resolveTls(options.tls),
  };
}

function resolveTls(tls: unknown): TlsConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  if (tls === null || typeof tls !== 'object' || Array.isArray(tls)) {
    throw new ConfigurationError(
      'tls',
      typeof tls,
      'expected true, false or an object of tls.connect options',
    );
  }
  const options = tls as TlsConnectionOptions;
  if (options.rejectUnauthorized !== undefined && typeof options.rejectUnauthorized !== 'boolean') {
    throw new ConfigurationError(
      'tls.rejectUnauthorized',
      options.rejectUnauthorized,
      'expected true (verify the server certificate, the default) or false',
    );
  }
  return { ...options };
}

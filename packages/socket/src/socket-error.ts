import { DStreamError } from '@dstream/core';

/**
 * A socket connector failed. `code` says how (`SOCKET_CONNECT_FAILED`,
 * `SOCKET_CONNECTION_LOST`, `SOCKET_LINE_TOO_LONG`, `SOCKET_RECORD_TOO_LARGE`,
 * `SOCKET_FRAME_TOO_LONG`, `SOCKET_RECORD_TRUNCATED`, `SOCKET_WRITE_FAILED`,
 * `DEAD_LETTER_FAILED`) and `address` names the peer as `host:port`; `cause` holds the
 * underlying error.
 */
export class SocketError extends DStreamError {
  /** The peer, as `host:port`. */
  readonly address: string;

  constructor(code: string, address: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.address = address;
  }
}

/** The message of an error of unknown type. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

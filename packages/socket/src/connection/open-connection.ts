import { createConnection, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { messageOf } from '../socket-error.js';
import type { ResolvedConnection } from './connection-options.js';

/** The error codes Node.js gives a TLS server certificate it does not trust. */
const CERTIFICATE_ERROR_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A socket being opened to the peer, and the event it emits once it can carry data. */
export interface OpeningConnection {
  readonly socket: Socket;
  /** `'connect'` for TCP, `'secureConnect'` once the TLS handshake verified the server. */
  readonly readyEvent: 'connect' | 'secureConnect';
}

/** Opens a TCP or, when `connection.tls` is set, a TLS connection to the peer. */
export function openConnection(connection: ResolvedConnection): OpeningConnection {
  const { host, port, tls } = connection;
  if (tls === undefined) return { socket: createConnection({ host, port }), readyEvent: 'connect' };
  return { socket: connectTls({ ...tls, host, port }), readyEvent: 'secureConnect' };
}

/**
 * Why a connection failed, for an error message: a refused server certificate says what to do
 * about it (trust its CA with `tls.ca`, or opt out of verification).
 */
export function describeConnectionFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CERTIFICATE_ERROR_CODES.has(code)) {
    return `the server's TLS certificate was refused (${messageOf(error)}); give the CA that signed it as tls.ca, or set tls.rejectUnauthorized: false to accept any certificate (insecure)`;
  }
  return messageOf(error);
}

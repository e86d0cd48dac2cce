import type { Socket } from 'node:net';
import {
  ReconnectBackoff,
  ConfigurationError,
  formatRecord,
  requireNonNegativeInteger,
  type Sink,
  type SinkWriteContext,
  requireKnownOptions,
} from '@dstream/core';
import {
  CONNECTION_OPTION_NAMES,
  resolveConnection,
  type ConnectionOptions,
  type ResolvedConnection,
} from '../connection/connection-options.js';
import { describeConnectionFailure, openConnection } from '../connection/open-connection.js';
import { formatAddress, SocketError } from '../socket-error.js';

/** Settings of {@link socketSink}. */
export interface SocketSinkOptions<T> extends ConnectionOptions {
  /** The server to connect to. */
  readonly host: string;
  /** The server's port. */
  readonly port: number;
  /** One record as one line of text (default: strings as they are, other values as `print()` shows them). */
  readonly format?: (record: T) => string;
  /** The text encoding of the bytes sent (default `'utf8'`). */
  readonly encoding?: BufferEncoding;
  /** How often a failed write is tried again on a new connection before the batch fails (default 5). */
  readonly retries?: number;
}

const KNOWN_OPTIONS = ['host', 'port', 'format', 'encoding', 'retries', ...CONNECTION_OPTION_NAMES];

/** Text is handed to the socket in pieces of about this many characters. */
const CHUNK_CHARACTERS = 1 << 16;

/**
 * A sink writing records as lines of text to a TCP server (over TLS with the `tls` option, the
 * server's certificate verified by default), connecting as a client on the first write and
 * keeping the connection. A write resolves once its bytes were handed to the
 * operating system. When the connection fails, the partition is written again from its start on
 * a new connection (after capped exponential backoff, up to `retries` times), so lines may
 * repeat: the guarantee is `'at-least-once'` for the failures the sink sees. TCP does not say
 * whether the server read what the operating system accepted before the server vanished; use a
 * broker where every record must be confirmed.
 */
export class SocketSink<T> implements Sink<T> {
  readonly guarantee = 'at-least-once' as const;
  readonly name: string;
  /** The server as `host:port`. */
  readonly address: string;
  private socket: Socket | undefined;
  private readonly backoff: ReconnectBackoff;

  constructor(
    private readonly connection: ResolvedConnection,
    private readonly format: (record: T) => string,
    private readonly encoding: BufferEncoding,
    private readonly retries: number,
  ) {
    this.address = formatAddress(connection.host, connection.port);
    this.name = `socketSink(${this.address})`;
    this.backoff = new ReconnectBackoff(connection);
  }

  /** Whether the sink holds an open connection now. */
  get connected(): boolean {
    return this.socket !== undefined;
  }

  async write(records: readonly T[], context: SinkWriteContext): Promise<void> {
    if (records.length === 0) return;
    const chunks = this.encode(records);
    for (let attempt = 0; ; attempt++) {
      let socket: Socket | undefined;
      try {
        socket = this.socket ?? (await this.connect());
        for (const chunk of chunks) await writeChunk(socket, chunk, this.encoding);
        this.backoff.reset();
        return;
      } catch (error) {
        if (socket !== undefined) this.discard(socket);
        if (attempt >= this.retries) {
          this.backoff.reset();
          throw new SocketError(
            'SOCKET_WRITE_FAILED',
            this.address,
            `Cannot write partition ${context.partition} of the batch at ${context.batchTime} ms (${records.length} records) to ${this.address} after ${attempt + 1} attempts: ${describeConnectionFailure(error)}`,
            { cause: error },
          );
        }
        await sleep(this.backoff.next());
      }
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000);
      socket.end(() => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      });
    });
  }

  private encode(records: readonly T[]): string[] {
    const chunks: string[] = [];
    const format = this.format;
    let text = '';
    for (let i = 0; i < records.length; i++) {
      text += format(records[i]) + '\n';
      if (text.length >= CHUNK_CHARACTERS) {
        chunks.push(text);
        text = '';
      }
    }
    if (text.length > 0) chunks.push(text);
    return chunks;
  }

  private connect(): Promise<Socket> {
    const { connectTimeout } = this.connection;
    return new Promise((resolve, reject) => {
      const { socket, readyEvent } = openConnection(this.connection);
      const onError = (error: Error): void => {
        socket.destroy();
        reject(error);
      };
      socket.setTimeout(connectTimeout);
      socket.once('timeout', () =>
        onError(new Error(`connection timed out after ${connectTimeout} ms`)),
      );
      socket.once('error', onError);
      socket.once(readyEvent, () => {
        socket.removeListener('error', onError);
        socket.setTimeout(0);
        socket.setKeepAlive(true, 10_000);
        // Keep reading so that a server closing the connection is noticed before the next write.
        socket.resume();
        socket.on('error', () => this.discard(socket));
        socket.once('close', () => this.discard(socket));
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  private discard(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }
}

/**
 * A sink writing every record as a line of text to the TCP server at `host:port` (a client
 * connection, reconnecting as needed). See {@link SocketSink} for the guarantee.
 *
 * @example
 * ```ts
 * wordCounts.map(([word, n]) => `${word} ${n}`).to(socketSink({ host: 'localhost', port: 9998 }));
 * ```
 */
export function socketSink<T = string>(options: SocketSinkOptions<T>): SocketSink<T> {
  requireKnownOptions(options, KNOWN_OPTIONS, 'socketSink');
  const connection = resolveConnection(options.host, options.port, options);
  const format = options.format ?? formatRecord;
  if (typeof format !== 'function')
    throw new ConfigurationError('format', format, 'expected a function (record) => string');
  const encoding = options.encoding ?? 'utf8';
  if (typeof encoding !== 'string' || !Buffer.isEncoding(encoding)) {
    throw new ConfigurationError(
      'encoding',
      encoding,
      "expected a Node.js text encoding such as 'utf8'",
    );
  }
  const retries = requireNonNegativeInteger('retries', options.retries ?? 5);
  return new SocketSink<T>(connection, format, encoding, retries);
}

/** Writes one chunk; resolves once the operating system took it, rejects when the socket fails. */
function writeChunk(socket: Socket, chunk: string, encoding: BufferEncoding): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || !socket.writable) {
      reject(new Error('the connection is closed'));
      return;
    }
    const onClose = (): void => reject(new Error('the connection closed during the write'));
    socket.once('close', onClose);
    socket.write(chunk, encoding, (error) => {
      socket.removeListener('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

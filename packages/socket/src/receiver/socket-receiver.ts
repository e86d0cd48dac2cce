import type { Socket } from 'node:net';
import { ReconnectBackoff, Receiver, type ReceiverCapabilities } from '@dstream/core';
import type { ResolvedConnection } from '../connection/connection-options.js';
import { describeConnectionFailure, openConnection } from '../connection/open-connection.js';
import { formatAddress, messageOf, SocketError } from '../socket-error.js';
import type { RecordFramer } from './record-framer.js';

/** How often a connected socket probes an idle peer, in milliseconds. */
const KEEP_ALIVE_DELAY = 10_000;

/**
 * A receiver reading from a TCP server as a client (as Spark's socket receivers do), over TLS
 * when configured, cutting the bytes into frames and storing a record per frame. It connects
 * when started, and when the server is not there yet or goes away it reconnects with capped
 * exponential backoff, reporting the first failure of a streak. It respects backpressure: when
 * `store()` asks to slow down it pauses the socket (TCP flow control then slows the server)
 * until the engine has capacity. A record cut short by the end of a connection is counted in
 * {@link truncatedRecords} and reported (`SOCKET_RECORD_TRUNCATED`, to listeners and the log),
 * never dropped in silence.
 *
 * It is unreliable, as TCP gives no way to acknowledge or replay: what was read but not yet
 * stored when the receiver stops is lost, and a server that restarts sends only new data.
 */
export abstract class SocketReceiver<F, T> extends Receiver<T> {
  readonly capabilities: ReceiverCapabilities = {
    reliable: false,
    replayable: false,
    ordered: true,
  };
  /** The peer as `host:port`. */
  readonly address: string;

  private socket: Socket | undefined;
  private stopped = true;
  private paused = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failureReported = false;
  private readonly backoff: ReconnectBackoff;
  private connectionsValue = 0;
  private truncated = 0;

  /** Hands a frame over: stores its record; `false` asks to pause. One function per receiver. */
  protected abstract readonly emit: (frame: F) => boolean;

  protected constructor(
    protected readonly connection: ResolvedConnection,
    protected readonly framer: RecordFramer<F>,
  ) {
    super();
    this.address = formatAddress(connection.host, connection.port);
    this.backoff = new ReconnectBackoff(connection);
  }

  /** Hands a frame over ignoring backpressure: the connection is over and nothing more comes. */
  private readonly emitRemaining = (frame: F): boolean => {
    this.emit(frame);
    return true;
  };

  /** Connections established since the receiver was created. */
  get connections(): number {
    return this.connectionsValue;
  }

  /** Records cut short by the end of a connection (their beginning arrived, their end never did). */
  get truncatedRecords(): number {
    return this.truncated;
  }

  onStart(): void {
    this.stopped = false;
    this.failureReported = false;
    this.backoff.reset();
    this.connect();
  }

  onStop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.paused = false;
    socket?.destroy();
    this.framer.reset();
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.stopped) return;
    const { connectTimeout } = this.connection;
    const { socket, readyEvent } = openConnection(this.connection);
    this.socket = socket;
    this.paused = false;
    this.framer.reset();
    let connected = false;
    let failure: unknown;
    socket.setTimeout(connectTimeout);
    socket.once('timeout', () => {
      if (!connected) socket.destroy(new Error(`connection timed out after ${connectTimeout} ms`));
    });
    socket.once(readyEvent, () => {
      connected = true;
      socket.setTimeout(0);
      socket.setKeepAlive(true, KEEP_ALIVE_DELAY);
      this.connectionsValue++;
      this.backoff.reset();
      this.failureReported = false;
      this.logger.info({ address: this.address }, 'Socket receiver connected');
    });
    let ended = false;
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.once('end', () => {
      ended = true;
      this.onEnd(socket);
    });
    socket.on('error', (error) => {
      failure ??= error;
    });
    socket.once('close', () => this.onSocketClose(socket, connected, ended, failure));
  }

  /**
   * Closes the current connection because its data cannot be framed any more (the stream is
   * out of step); `reason` is reported and the receiver connects again after the backoff delay.
   */
  protected dropConnection(reason: Error): void {
    this.socket?.destroy(reason);
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket || this.stopped) return;
    try {
      this.framer.push(chunk);
      if (this.paused) return;
      if (!this.framer.drain(this.emit)) this.pauseUntilCapacity(socket);
    } catch (error) {
      this.fail(socket, error);
    }
  }

  /** Pauses the socket until the engine can take more, then hands over what is buffered. */
  private pauseUntilCapacity(socket: Socket): void {
    this.paused = true;
    socket.pause();
    void this.resumeWhenReady(socket);
  }

  private async resumeWhenReady(socket: Socket): Promise<void> {
    try {
      do {
        await this.awaitCapacity();
        if (socket !== this.socket || this.stopped) return;
      } while (!this.framer.drain(this.emit));
      this.paused = false;
      socket.resume();
    } catch (error) {
      this.fail(socket, error);
    }
  }

  private onEnd(socket: Socket): void {
    if (socket !== this.socket || this.stopped) return;
    try {
      this.framer.finish(this.emit);
    } catch (error) {
      this.fail(socket, error);
    }
  }

  private onSocketClose(
    socket: Socket,
    connected: boolean,
    ended: boolean,
    failure: unknown,
  ): void {
    if (socket !== this.socket || this.stopped) return;
    this.socket = undefined;
    this.paused = false;
    if (connected && !this.handOverRemaining(ended)) return;
    const delay = this.backoff.next();
    const reason =
      failure === undefined
        ? 'the server closed the connection'
        : describeConnectionFailure(failure);
    if (connected) {
      const error = new SocketError(
        'SOCKET_CONNECTION_LOST',
        this.address,
        `Connection to ${this.address} lost: ${reason}; reconnecting in ${delay} ms`,
        { cause: failure },
      );
      if (failure === undefined) this.logger.warn({ address: this.address, delay }, error.message);
      else this.reportError(error);
    } else if (!this.failureReported) {
      this.failureReported = true;
      this.reportError(
        new SocketError(
          'SOCKET_CONNECT_FAILED',
          this.address,
          `Cannot connect to ${this.address}: ${reason}; retrying in ${delay} ms`,
          {
            cause: failure,
          },
        ),
      );
    } else {
      this.logger.debug(
        { address: this.address, delay, err: failure },
        'Socket receiver still cannot connect',
      );
    }
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /**
   * Hands over the complete frames still buffered (the receiver may have been paused), then
   * counts and reports a frame whose end never arrived. `false` when handing over failed and
   * the receiver is restarting.
   */
  private handOverRemaining(ended: boolean): boolean {
    try {
      if (!ended) this.framer.drain(this.emitRemaining);
    } catch (error) {
      this.restart(`Socket receiver for ${this.address} failed: ${messageOf(error)}`, error);
      return false;
    }
    const bytes = this.framer.incompleteBytes();
    this.framer.reset();
    if (bytes === 0) return true;
    this.truncated++;
    const error = new SocketError(
      'SOCKET_RECORD_TRUNCATED',
      this.address,
      `The connection to ${this.address} ended inside a record: its first ${bytes} bytes arrived, the rest never did, so it is dropped (${this.truncated} records cut short so far)`,
    );
    // Reported errors reach listeners and the context's logger.
    this.reportError(error);
    return true;
  }

  /**
   * A frame could not be handled (a decoding failure under `onDecodeError: 'fail'`, or the engine
   * refused a record): the receiver fails and its supervisor restarts it.
   */
  private fail(socket: Socket, error: unknown): void {
    if (socket !== this.socket || this.stopped) return;
    this.restart(`Socket receiver for ${this.address} failed: ${messageOf(error)}`, error);
  }
}

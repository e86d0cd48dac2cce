import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  StreamingContext,
  type DeadLetterRecord,
  type Sink,
  type DStream,
  type ReceiverInfo,
  type StreamingContextOptions,
} from '@dstream/core';

/**
 * A real TCP server on 127.0.0.1 for the tests: it records every connection and every line it
 * receives, and can be stopped (dropping its connections) and started again on the same port.
 */
export class TestServer {
  readonly connections: Socket[] = [];
  /** Lines received from clients, in order. */
  readonly lines: string[] = [];
  private readonly open = new Set<Socket>();
  private waiters: ((socket: Socket) => void)[] = [];
  private pending = '';

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      socket.setNoDelay(true);
      this.connections.push(socket);
      this.open.add(socket);
      socket.on('close', () => this.open.delete(socket));
      socket.on('error', () => {});
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => {
        const parts = (this.pending + text).split('\n');
        this.pending = parts.pop() ?? '';
        this.lines.push(...parts);
      });
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve(socket);
    });
  }

  /** Listens on `port` (0: any free port) on 127.0.0.1. */
  static async start(port = 0): Promise<TestServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new TestServer(server, (server.address() as AddressInfo).port);
  }

  /** The `n`th connection (1-based), once a client made it. */
  async connection(n = 1): Promise<Socket> {
    while (this.connections.length < n) {
      await new Promise<Socket>((resolve) => this.waiters.push(resolve));
    }
    return this.connections[n - 1];
  }

  /** Closes every connection and stops listening. */
  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = await TestServer.start();
  const port = server.port;
  await server.stop();
  return port;
}

/** Writes to a socket and waits until the bytes are handed to the operating system. */
export function send(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(data, (error) => (error ? reject(error) : resolve())),
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A real-time context with short intervals, and the receiver errors it reports. */
export function realTimeContext(options: Partial<StreamingContextOptions> = {}): {
  ssc: StreamingContext;
  receiverErrors: unknown[];
} {
  const ssc = new StreamingContext({
    batchInterval: 200,
    blockInterval: 50,
    receiverRestartDelay: 100,
    ...options,
  });
  const receiverErrors: unknown[] = [];
  ssc.addListener({
    onReceiverError: ({ receiverInfo }: { receiverInfo: ReceiverInfo }) => {
      receiverErrors.push(receiverInfo.lastError);
    },
  });
  return { ssc, receiverErrors };
}

/** Every record of every batch of `stream`, in order. */
export function collectRecords<T>(stream: DStream<T>): T[] {
  const out: T[] = [];
  stream.foreachBatch((batch) => {
    for (const record of batch.collect()) out.push(record);
  });
  return out;
}

/** A length-prefixed frame: 4-byte big-endian length, then the payload. */
export function frame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** A dead-letter sink keeping what it is given in memory. */
export function memoryDeadLetters(): { sink: Sink<DeadLetterRecord>; records: DeadLetterRecord[] } {
  const records: DeadLetterRecord[] = [];
  return {
    records,
    sink: {
      guarantee: 'at-least-once',
      write(batch: readonly DeadLetterRecord[]) {
        records.push(...batch);
        return Promise.resolve();
      },
    },
  };
}

import type { Receiver } from '@dstream/core';
import { waitFor, type ReceiverHarness, type SinkHarness } from '@dstream/testkit';
import { describeReceiverConformance, describeSinkConformance } from '@dstream/testkit/vitest';
import { createRawSocketReceiver, createSocketTextReceiver, socketSink } from '../src/index.js';
import { frame, send, TestServer } from './helpers.js';

/**
 * A socket receiver in the conformance suite: the source is a TCP server of the test, and
 * publishing writes to the connection the receiver made since its latest start.
 */
function socketReceiverHarness<T>(
  name: string,
  create: (port: number) => Receiver<T>,
  encode: (ids: readonly number[]) => string | Buffer,
  idOf: (record: T) => number,
): ReceiverHarness<T> {
  let server: TestServer | undefined;
  let connectionsAtStart = 0;
  return {
    name,
    capabilities: { reliable: false, replayable: false, ordered: true },
    async setup() {
      server = await TestServer.start();
    },
    async teardown() {
      await server?.stop();
      server = undefined;
    },
    createReceiver({ ackOn }) {
      const receiver = create(server!.port);
      receiver.ackOn = ackOn;
      const onStart = receiver.onStart.bind(receiver);
      receiver.onStart = () => {
        connectionsAtStart = server!.connections.length;
        onStart();
      };
      return receiver;
    },
    whenReady: () => waitFor(() => server!.connections.length > connectionsAtStart),
    async publish(ids) {
      await send(server!.connections[server!.connections.length - 1], encode(ids));
    },
    idOf,
    async assertReleased() {
      await waitFor(() => server!.connections.every((socket) => socket.destroyed), {
        timeout: 2000,
        message: 'the receiver to close its connection',
      });
    },
  };
}

describeReceiverConformance(
  socketReceiverHarness(
    'socketTextStream',
    (port) => createSocketTextReceiver('127.0.0.1', port, { reconnectDelay: 50 }),
    (ids) => ids.map((id) => `${id}\n`).join(''),
    (line: string) => Number(line),
  ),
);

describeReceiverConformance(
  socketReceiverHarness(
    'rawSocketStream',
    (port) => createRawSocketReceiver('127.0.0.1', port, { decoder: 'json', reconnectDelay: 50 }),
    (ids) => Buffer.concat(ids.map((id) => frame(JSON.stringify({ id })))),
    (record) => (record as { id: number }).id,
  ),
);

interface Versioned {
  readonly id: number;
  readonly version: number;
}

/** The socket sink in the conformance suite: a reader is the TCP server it writes to. */
function socketSinkHarness(): SinkHarness<Versioned> {
  let server: TestServer | undefined;
  return {
    name: 'socketSink',
    guarantee: 'at-least-once',
    async setup() {
      server = await TestServer.start();
    },
    async teardown() {
      await server?.stop();
      server = undefined;
    },
    createSink: () =>
      socketSink<Versioned>({
        host: '127.0.0.1',
        port: server!.port,
        format: (record) => `${record.id}:${record.version}`,
      }),
    record: (id, version) => ({ id, version }),
    idOf: (record) => record.id,
    versionOf: (record) => record.version,
    readVisible: () =>
      server!.lines.map((line) => {
        const [id, version] = line.split(':').map(Number);
        return { id, version };
      }),
  };
}

describeSinkConformance(socketSinkHarness());

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamingContext } from '@dstream/core';
import {
  createSocketTextReceiver,
  rawSocketStream,
  socketSink,
  socketTextStream,
  type SocketError,
  type SocketSinkOptions,
} from '../src/index.js';
import { collectRecords, frame, realTimeContext, send } from './helpers.js';
import { makeTestCertificates, type TestCertificates } from './tls-certificates.js';

/** A TLS server on 127.0.0.1 recording its connections, the lines it receives and failed handshakes. */
class TlsTestServer {
  readonly connections: TLSSocket[] = [];
  readonly lines: string[] = [];
  readonly handshakeFailures: Error[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('secureConnection', (socket) => {
      this.connections.push(socket);
      socket.on('error', () => {});
      let pending = '';
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => {
        const parts = (pending + text).split('\n');
        pending = parts.pop() ?? '';
        this.lines.push(...parts);
      });
    });
    server.on('tlsClientError', (error) => this.handshakeFailures.push(error));
  }

  static async start(certificates: TestCertificates): Promise<TlsTestServer> {
    const server = createServer({ key: certificates.key, cert: certificates.cert });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new TlsTestServer(server, (server.address() as AddressInfo).port);
  }

  async stop(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let certificates: TestCertificates;
let server: TlsTestServer;
let context: StreamingContext | undefined;

beforeAll(() => {
  certificates = makeTestCertificates();
});

afterEach(async () => {
  await context?.stop();
  context = undefined;
  await server?.stop();
});

const WAIT = { timeout: 10_000, interval: 20 };

function setup(): ReturnType<typeof realTimeContext> {
  const created = realTimeContext();
  context = created.ssc;
  return created;
}

/** The error of a one-attempt write of the socket sink to the server, or `undefined`. */
function writeFailure(
  options: Pick<SocketSinkOptions<string>, 'tls'>,
): Promise<SocketError | undefined> {
  const sink = socketSink<string>({ host: '127.0.0.1', port: server.port, retries: 0, ...options });
  return sink.write(['never'], { batchTime: 1000, partition: 0, numPartitions: 1 }).then(
    () => undefined,
    (error: unknown) => error as SocketError,
  );
}

describe('socket connectors over TLS', () => {
  it('socketTextStream receives lines over TLS from a server whose CA is given', async () => {
    server = await TlsTestServer.start(certificates);
    const { ssc } = setup();
    const received = collectRecords(
      socketTextStream(ssc, '127.0.0.1', server.port, { tls: { ca: certificates.ca } }),
    );
    ssc.start();
    await vi.waitFor(() => expect(server.connections.length).toBe(1), WAIT);
    await send(server.connections[0], 'secret 1\nsecret 2\n');
    await vi.waitFor(() => expect(received).toEqual(['secret 1', 'secret 2']), WAIT);
    expect(server.connections[0].getProtocol()).toMatch(/^TLSv1\.[23]$/);
  });

  it('rawSocketStream receives frames over TLS', async () => {
    server = await TlsTestServer.start(certificates);
    const { ssc } = setup();
    const received = collectRecords(
      rawSocketStream(ssc, 'localhost', server.port, {
        decoder: 'string',
        tls: { ca: certificates.ca },
      }),
    );
    ssc.start();
    await vi.waitFor(() => expect(server.connections.length).toBe(1), WAIT);
    await send(server.connections[0], Buffer.concat([frame('one'), frame('two')]));
    await vi.waitFor(() => expect(received).toEqual(['one', 'two']), WAIT);
  });

  it('socketSink writes lines over TLS', async () => {
    server = await TlsTestServer.start(certificates);
    const sink = socketSink<string>({
      host: '127.0.0.1',
      port: server.port,
      tls: { ca: certificates.ca },
    });
    await sink.write(['a', 'b'], { batchTime: 1000, partition: 0, numPartitions: 1 });
    await vi.waitFor(() => expect(server.lines).toEqual(['a', 'b']), WAIT);
    await sink.close();
  });

  it('refuses a server certificate from an unknown CA with a clear error, receiving nothing', async () => {
    server = await TlsTestServer.start(certificates);
    const { ssc, receiverErrors } = setup();
    const receiver = createSocketTextReceiver('127.0.0.1', server.port, { tls: true });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    await vi.waitFor(() => expect(receiverErrors.length).toBeGreaterThan(0), WAIT);
    const error = receiverErrors[0] as SocketError;
    expect(error.code).toBe('SOCKET_CONNECT_FAILED');
    expect(error.message).toContain(`Cannot connect to 127.0.0.1:${server.port}`);
    expect(error.message).toContain("the server's TLS certificate was refused");
    expect(error.message).toContain('tls.ca');
    expect(error.message).toContain('tls.rejectUnauthorized: false');
    expect(server.connections).toEqual([]);
    expect(receiver.connections).toBe(0);
    expect(received).toEqual([]);
  });

  it('socketSink refuses a server certificate from an unknown CA', async () => {
    server = await TlsTestServer.start(certificates);
    const failure = await writeFailure({ tls: true });
    expect(failure?.code).toBe('SOCKET_WRITE_FAILED');
    expect(failure?.message).toContain("the server's TLS certificate was refused");
    expect(server.lines).toEqual([]);
  });

  it('accepts any certificate when the user opts out with rejectUnauthorized: false', async () => {
    server = await TlsTestServer.start(certificates);
    const { ssc } = setup();
    const received = collectRecords(
      socketTextStream(ssc, '127.0.0.1', server.port, { tls: { rejectUnauthorized: false } }),
    );
    ssc.start();
    await vi.waitFor(() => expect(server.connections.length).toBe(1), WAIT);
    await send(server.connections[0], 'unverified\n');
    await vi.waitFor(() => expect(received).toEqual(['unverified']), WAIT);
    const sink = socketSink<string>({
      host: '127.0.0.1',
      port: server.port,
      tls: { rejectUnauthorized: false },
    });
    await sink.write(['out'], { batchTime: 1000, partition: 0, numPartitions: 1 });
    await vi.waitFor(() => expect(server.lines).toEqual(['out']), WAIT);
    await sink.close();
  });

  it('refuses a certificate for another host name even from a trusted CA', async () => {
    server = await TlsTestServer.start(certificates);
    const failure = await writeFailure({ tls: { ca: certificates.ca, servername: 'example.com' } });
    expect(failure?.code).toBe('SOCKET_WRITE_FAILED');
    expect(failure?.message).toContain("the server's TLS certificate was refused");
    expect(failure?.message).toContain('example.com');
    expect(server.lines).toEqual([]);
  });
});

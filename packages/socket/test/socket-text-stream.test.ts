import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, DecodeError, deadLetter, type StreamingContext } from '@dstream/core';
import { createSocketTextReceiver, SocketError, socketTextStream } from '../src/index.js';
import {
  collectRecords,
  freePort,
  memoryDeadLetters,
  realTimeContext,
  send,
  sleep,
  TestServer,
} from './helpers.js';

const servers: TestServer[] = [];
let context: StreamingContext | undefined;

async function server(port = 0): Promise<TestServer> {
  const started = await TestServer.start(port);
  servers.push(started);
  return started;
}

function setup(
  options: Parameters<typeof realTimeContext>[0] = {},
): ReturnType<typeof realTimeContext> {
  const created = realTimeContext(options);
  context = created.ssc;
  return created;
}

afterEach(async () => {
  await context?.stop();
  context = undefined;
  for (const s of servers.splice(0)) await s.stop();
});

const WAIT = { timeout: 10_000, interval: 20 };

describe('socketTextStream', () => {
  it('receives lines split across packets, with \\r\\n endings and empty lines', async () => {
    const tcp = await server();
    const { ssc } = setup();
    const received = collectRecords(socketTextStream(ssc, '127.0.0.1', tcp.port));
    ssc.start();
    const peer = await tcp.connection();
    for (const piece of ['hel', 'lo\nwor', 'ld\r', '\n\nlast line\n']) {
      await send(peer, piece);
      await sleep(20);
    }
    await vi.waitFor(() => expect(received).toEqual(['hello', 'world', '', 'last line']), WAIT);
  });

  it('decodes multibyte UTF-8 characters whose bytes arrive in different packets', async () => {
    const tcp = await server();
    const { ssc } = setup();
    const received = collectRecords(socketTextStream(ssc, '127.0.0.1', tcp.port));
    ssc.start();
    const peer = await tcp.connection();
    const bytes = Buffer.from('é€😀\nnaïve café\n');
    // Cut inside é (2 bytes), € (3 bytes) and 😀 (4 bytes).
    for (const [from, to] of [
      [0, 1],
      [1, 3],
      [3, 6],
      [6, 8],
      [8, bytes.length],
    ]) {
      await send(peer, bytes.subarray(from, to));
      await sleep(20);
    }
    await vi.waitFor(() => expect(received).toEqual(['é€😀', 'naïve café']), WAIT);
  });

  it("treats a line with invalid UTF-8 as a decode failure, as the 'string' decoder does: skipped and counted", async () => {
    const tcp = await server();
    const { ssc } = setup();
    const receiver = createSocketTextReceiver('127.0.0.1', tcp.port, { onDecodeError: 'skip' });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    const peer = await tcp.connection();
    const bytes = Buffer.concat([
      Buffer.from('good 1\n'),
      Buffer.from([0x66, 0xff, 0x0a]),
      Buffer.from('caf'),
      Buffer.from([0xc3, 0x0a]), // é cut short by the newline
      Buffer.from('naïve €\n\ufffd kept\n'),
    ]);
    // Cut inside the invalid bytes and inside ï and €.
    for (const [from, to] of [
      [0, 8],
      [8, 15],
      [15, 19],
      [19, 22],
      [22, bytes.length],
    ]) {
      await send(peer, bytes.subarray(from, to));
      await sleep(20);
    }
    await vi.waitFor(() => expect(received).toEqual(['good 1', 'naïve €', '\ufffd kept']), WAIT);
    expect(receiver.decodeFailures).toBe(2);
  });

  it('with a dead-letter sink, writes the bytes of a line with invalid UTF-8 there', async () => {
    const tcp = await server();
    const { ssc } = setup();
    const deadLetters = memoryDeadLetters();
    const received = collectRecords(
      socketTextStream(ssc, '127.0.0.1', tcp.port, {
        onDecodeError: deadLetter(deadLetters.sink),
      }),
    );
    ssc.start();
    await send(
      await tcp.connection(),
      Buffer.concat([
        Buffer.from('a\n'),
        Buffer.from([0x62, 0xc0, 0xaf, 0x0a]),
        Buffer.from('c\n'),
      ]),
    );
    await vi.waitFor(() => expect(received).toEqual(['a', 'c']), WAIT);
    await vi.waitFor(() => expect(deadLetters.records.length).toBe(1), WAIT);
    expect([...deadLetters.records[0].payload]).toEqual([0x62, 0xc0, 0xaf]);
    expect(deadLetters.records[0].source).toBe(`socket 127.0.0.1:${tcp.port} line 2`);
  });

  it("by default ('fail'), a line with invalid UTF-8 fails the receiver with a DecodeError naming the line", async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const received = collectRecords(socketTextStream(ssc, '127.0.0.1', tcp.port));
    ssc.start();
    await send(
      await tcp.connection(),
      Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xed, 0xa0, 0x80, 0x0a])]),
    );
    await vi.waitFor(
      () => expect(receiverErrors.some((e) => e instanceof DecodeError)).toBe(true),
      WAIT,
    );
    const error = receiverErrors.find((e) => e instanceof DecodeError) as DecodeError;
    expect(error.source).toBe(`socket 127.0.0.1:${tcp.port} line 2`);
    await send(await tcp.connection(2), 'after restart\n');
    await vi.waitFor(() => expect(received).toEqual(['ok', 'after restart']), WAIT);
  });

  it('counts and reports a line cut short when the connection is reset', async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const receiver = createSocketTextReceiver('127.0.0.1', tcp.port, { reconnectDelay: 5000 });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    const peer = await tcp.connection();
    await send(peer, 'whole\npartial');
    await vi.waitFor(() => expect(received).toEqual(['whole']), WAIT);
    peer.resetAndDestroy();
    await vi.waitFor(() => expect(receiver.truncatedRecords).toBe(1), WAIT);
    expect(received).toEqual(['whole']);
    const error = receiverErrors.find(
      (e) => (e as SocketError).code === 'SOCKET_RECORD_TRUNCATED',
    ) as SocketError;
    expect(error.message).toContain('first 7 bytes');
  });

  it('takes text after the last newline as a last line when the server closes the connection', async () => {
    const tcp = await server();
    const { ssc } = setup();
    const received = collectRecords(
      socketTextStream(ssc, '127.0.0.1', tcp.port, { reconnectDelay: 5000 }),
    );
    ssc.start();
    const peer = await tcp.connection();
    await send(peer, 'one\ntwo');
    peer.end();
    await vi.waitFor(() => expect(received).toEqual(['one', 'two']), WAIT);
  });

  it('reconnects after the server restarts: nothing is stored twice and data after the restart arrives', async () => {
    const first = await server();
    const port = first.port;
    const { ssc, receiverErrors } = setup();
    const receiver = createSocketTextReceiver('127.0.0.1', port, {
      reconnectDelay: 50,
      maxReconnectDelay: 200,
    });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    await send(await first.connection(), 'before 1\nbefore 2\n');
    await vi.waitFor(() => expect(received).toEqual(['before 1', 'before 2']), WAIT);

    await first.stop();
    servers.splice(servers.indexOf(first), 1);
    // While the server is down, connection attempts fail; the first failure is reported.
    await vi.waitFor(
      () =>
        expect(
          receiverErrors.some((e) => (e as SocketError).code === 'SOCKET_CONNECT_FAILED'),
        ).toBe(true),
      WAIT,
    );
    const second = await server(port);
    await send(await second.connection(), 'after 1\n');
    await vi.waitFor(() => expect(received).toEqual(['before 1', 'before 2', 'after 1']), WAIT);
    expect(receiver.connections).toBe(2);
    const failure = receiverErrors.find(
      (e) => (e as SocketError).code === 'SOCKET_CONNECT_FAILED',
    ) as SocketError;
    expect(failure).toBeInstanceOf(SocketError);
    expect(failure.address).toBe(`127.0.0.1:${port}`);
    expect(failure.message).toContain(`Cannot connect to 127.0.0.1:${port}`);
  });

  it('connects once a server that was not there yet starts listening', async () => {
    const port = await freePort();
    const { ssc } = setup();
    const received = collectRecords(
      socketTextStream(ssc, '127.0.0.1', port, { reconnectDelay: 50, maxReconnectDelay: 100 }),
    );
    ssc.start();
    await sleep(150);
    const late = await server(port);
    await send(await late.connection(), 'finally\n');
    await vi.waitFor(() => expect(received).toEqual(['finally']), WAIT);
  });

  it('reports an over-long line naming the server and its length, discards it, and goes on', async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const receiver = createSocketTextReceiver('127.0.0.1', tcp.port, { maxLineLength: 100 });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    const peer = await tcp.connection();
    await send(peer, `${'x'.repeat(250)}\nok\n${'y'.repeat(100)}\n`);
    // A line whose newline takes a while to come is cut off without being buffered.
    await send(peer, 'z'.repeat(80));
    await sleep(20);
    await send(peer, 'z'.repeat(80));
    await sleep(20);
    await send(peer, 'zz\nafter\n');
    await vi.waitFor(() => expect(received).toEqual(['ok', 'y'.repeat(100), 'after']), WAIT);
    expect(receiver.discardedLines).toBe(2);
    const tooLong = receiverErrors.filter(
      (e) => (e as SocketError).code === 'SOCKET_LINE_TOO_LONG',
    ) as SocketError[];
    expect(tooLong.length).toBe(2);
    expect(tooLong[0].message).toContain(`127.0.0.1:${tcp.port}`);
    expect(tooLong[0].message).toContain('250 characters');
    expect(tooLong[0].message).toContain('maxLineLength 100');
  });

  it('pauses the socket when the engine asks it to slow down, losing nothing', async () => {
    const tcp = await server();
    // At most 500 records per block before store() asks to pause; ten times that without pausing is an error.
    const { ssc, receiverErrors } = setup({ maxBufferedRecords: 500 });
    const received = collectRecords(socketTextStream(ssc, '127.0.0.1', tcp.port));
    ssc.start();
    const count = 20_000;
    const text = Array.from({ length: count }, (_, i) => String(i)).join('\n') + '\n';
    await send(await tcp.connection(), text);
    await vi.waitFor(() => expect(received.length).toBe(count), { timeout: 15_000, interval: 50 });
    expect(received).toEqual(Array.from({ length: count }, (_, i) => String(i)));
    expect(receiverErrors).toEqual([]);
  });

  it('rejects bad options when the stream is created, naming the option', () => {
    const { ssc } = setup();
    const bad: Array<[() => unknown, string]> = [
      [() => socketTextStream(ssc, '', 9999), 'host'],
      [() => socketTextStream(ssc, 'localhost', 0), 'port'],
      [() => socketTextStream(ssc, 'localhost', 70_000), 'port'],
      [
        () => socketTextStream(ssc, 'localhost', 9999, { encoding: 'klingon' as BufferEncoding }),
        'encoding',
      ],
      [() => socketTextStream(ssc, 'localhost', 9999, { encoding: 'base64' }), 'encoding'],
      [
        () => socketTextStream(ssc, 'localhost', 9999, { onDecodeError: 'ignore' as 'skip' }),
        'onDecodeError',
      ],
      [() => socketTextStream(ssc, 'localhost', 9999, { maxLineLength: 0 }), 'maxLineLength'],
      [() => socketTextStream(ssc, 'localhost', 9999, { reconnectDelay: -5 }), 'reconnectDelay'],
      [
        () =>
          socketTextStream(ssc, 'localhost', 9999, { reconnectDelay: 1000, maxReconnectDelay: 10 }),
        'maxReconnectDelay',
      ],
      [() => socketTextStream(ssc, 'localhost', 9999, { maxRate: 0 }), 'maxRate'],
      [() => socketTextStream(ssc, 'localhost', 9999, { delimiter: ';' } as object), 'delimiter'],
    ];
    for (const [create, option] of bad) {
      let error: unknown;
      try {
        create();
      } catch (e) {
        error = e;
      }
      expect(error, option).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).option).toBe(option);
    }
  });

  it('declares itself unreliable and not replayable', () => {
    const receiver = createSocketTextReceiver('localhost', 9999);
    expect(receiver.capabilities).toEqual({ reliable: false, replayable: false, ordered: true });
    expect(receiver.name).toBe('SocketTextReceiver(localhost:9999)');
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, DecodeError, deadLetter, type StreamingContext } from '@dstream/core';
import { createRawSocketReceiver, rawSocketStream, type SocketError } from '../src/index.js';
import {
  collectRecords,
  frame,
  memoryDeadLetters,
  realTimeContext,
  send,
  sleep,
  TestServer,
} from './helpers.js';

const servers: TestServer[] = [];
let context: StreamingContext | undefined;

async function server(): Promise<TestServer> {
  const started = await TestServer.start();
  servers.push(started);
  return started;
}

function setup(): ReturnType<typeof realTimeContext> {
  const created = realTimeContext();
  context = created.ssc;
  return created;
}

afterEach(async () => {
  await context?.stop();
  context = undefined;
  for (const s of servers.splice(0)) await s.stop();
});

const WAIT = { timeout: 10_000, interval: 20 };

describe('rawSocketStream', () => {
  it('receives length-prefixed records as buffers, whatever the packets', async () => {
    const tcp = await server();
    const { ssc } = setup();
    const received = collectRecords(rawSocketStream(ssc, '127.0.0.1', tcp.port));
    ssc.start();
    const peer = await tcp.connection();
    const bytes = Buffer.concat([frame(Buffer.from([0, 1, 2, 255])), frame(''), frame('text')]);
    // Cut inside the first length, inside a payload, and between frames.
    for (const [from, to] of [
      [0, 2],
      [2, 6],
      [6, 8],
      [8, bytes.length],
    ]) {
      await send(peer, bytes.subarray(from, to));
      await sleep(20);
    }
    await vi.waitFor(
      () =>
        expect(received.map((b) => [...b])).toEqual([[0, 1, 2, 255], [], [...Buffer.from('text')]]),
      WAIT,
    );
    expect(Buffer.isBuffer(received[0])).toBe(true);
  });

  it('skips a record larger than maxRecordSize, reporting the server and the size', async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const receiver = createRawSocketReceiver('127.0.0.1', tcp.port, {
      decoder: 'string',
      maxRecordSize: 64,
    });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    await send(
      await tcp.connection(),
      Buffer.concat([frame('small'), frame('b'.repeat(1000)), frame('after')]),
    );
    await vi.waitFor(() => expect(received).toEqual(['small', 'after']), WAIT);
    expect(receiver.discardedRecords).toBe(1);
    const error = receiverErrors.find(
      (e) => (e as SocketError).code === 'SOCKET_RECORD_TOO_LARGE',
    ) as SocketError;
    expect(error.message).toContain(`127.0.0.1:${tcp.port}`);
    expect(error.message).toContain('1000 bytes');
    expect(error.message).toContain('maxRecordSize 64');
  });

  it("decodes JSON payloads and, with onDecodeError 'skip', drops the bad ones counted", async () => {
    const tcp = await server();
    const { ssc } = setup();
    const receiver = createRawSocketReceiver('127.0.0.1', tcp.port, {
      decoder: 'json',
      onDecodeError: 'skip',
    });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    await send(
      await tcp.connection(),
      Buffer.concat([frame('{"n":1}'), frame('{oops'), frame('{"n":3}')]),
    );
    await vi.waitFor(() => expect(received).toEqual([{ n: 1 }, { n: 3 }]), WAIT);
    expect(receiver.decodeFailures).toBe(1);
  });

  it("with onDecodeError 'fail', reports a DecodeError naming the socket and record and restarts the receiver", async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const received = collectRecords(
      rawSocketStream<{ n: number }>(ssc, '127.0.0.1', tcp.port, { decoder: 'json' }),
    );
    ssc.start();
    await send(
      await tcp.connection(),
      Buffer.concat([frame('{"n":1}'), frame('not json'), frame('{"n":3}')]),
    );
    await vi.waitFor(
      () => expect(receiverErrors.some((e) => e instanceof DecodeError)).toBe(true),
      WAIT,
    );
    const error = receiverErrors.find((e) => e instanceof DecodeError) as DecodeError;
    expect(error.source).toBe(`socket 127.0.0.1:${tcp.port} record 2`);
    // The restarted receiver connects again and receives what is sent then.
    await send(await tcp.connection(2), frame('{"n":4}'));
    await vi.waitFor(() => expect(received).toEqual([{ n: 1 }, { n: 4 }]), WAIT);
  });

  it('takes a length above maxFrameLength for a decode failure naming the length and the limit, and connects again rather than swallowing what follows', async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const deadLetters = memoryDeadLetters();
    const receiver = createRawSocketReceiver('127.0.0.1', tcp.port, {
      decoder: 'string',
      onDecodeError: deadLetter(deadLetters.sink),
      reconnectDelay: 20,
    });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    const bogus = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const after = Array.from({ length: 1000 }, (_, i) => frame(`after ${i}`));
    await send(await tcp.connection(), Buffer.concat([frame('before'), bogus, ...after]));
    const tooLong = (): SocketError | undefined =>
      receiverErrors.find((e) => (e as SocketError).code === 'SOCKET_FRAME_TOO_LONG') as
        SocketError | undefined;
    await vi.waitFor(() => expect(tooLong()).toBeDefined(), WAIT);
    expect(tooLong()!.message).toContain('4294967295 bytes');
    expect(tooLong()!.message).toContain('maxFrameLength 16777216');
    expect(tooLong()!.message).toContain(`127.0.0.1:${tcp.port}`);
    await vi.waitFor(() => expect(deadLetters.records.length).toBe(1), WAIT);
    expect([...deadLetters.records[0].payload.subarray(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(deadLetters.records[0].error).toContain('maxFrameLength');
    expect(receiver.decodeFailures).toBe(1);
    // The connection is opened again and frames flow on it.
    await send(await tcp.connection(2), frame('on the new connection'));
    await vi.waitFor(() => expect(received).toEqual(['before', 'on the new connection']), WAIT);
    expect(receiver.connections).toBe(2);
  });

  it("with onDecodeError 'fail', a length above maxFrameLength fails the receiver with a DecodeError naming it", async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const received = collectRecords(
      rawSocketStream(ssc, '127.0.0.1', tcp.port, { decoder: 'string', maxFrameLength: 1000 }),
    );
    ssc.start();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(5000);
    await send(await tcp.connection(), Buffer.concat([frame('first'), header, frame('lost')]));
    await vi.waitFor(
      () => expect(receiverErrors.some((e) => e instanceof DecodeError)).toBe(true),
      WAIT,
    );
    const error = receiverErrors.find((e) => e instanceof DecodeError) as DecodeError;
    expect(error.message).toContain('5000 bytes');
    expect(error.message).toContain('maxFrameLength 1000');
    await send(await tcp.connection(2), frame('again'));
    await vi.waitFor(() => expect(received).toEqual(['first', 'again']), WAIT);
  });

  it('counts and reports a record cut short by the end of the connection', async () => {
    const tcp = await server();
    const { ssc, receiverErrors } = setup();
    const receiver = createRawSocketReceiver('127.0.0.1', tcp.port, {
      decoder: 'string',
      reconnectDelay: 20,
    });
    const received = collectRecords(ssc.receiverStream(receiver));
    ssc.start();
    const first = await tcp.connection();
    await send(first, Buffer.concat([frame('whole'), frame('cut short').subarray(0, 7)]));
    await vi.waitFor(() => expect(received).toEqual(['whole']), WAIT);
    first.end();
    await vi.waitFor(() => expect(receiver.truncatedRecords).toBe(1), WAIT);
    const second = await tcp.connection(2);
    await send(second, Buffer.concat([frame('next'), frame('reset').subarray(0, 5)]));
    await vi.waitFor(() => expect(received).toEqual(['whole', 'next']), WAIT);
    second.resetAndDestroy();
    await vi.waitFor(() => expect(receiver.truncatedRecords).toBe(2), WAIT);
    const truncated = receiverErrors.filter(
      (e) => (e as SocketError).code === 'SOCKET_RECORD_TRUNCATED',
    ) as SocketError[];
    expect(truncated.length).toBe(2);
    expect(truncated[0].message).toContain(`127.0.0.1:${tcp.port}`);
    expect(truncated[0].message).toContain('first 7 bytes');
    expect(truncated[1].message).toContain('2 records cut short so far');
  });

  it('rejects bad options when the stream is created, naming the option', () => {
    const { ssc } = setup();
    const bad: Array<[() => unknown, string]> = [
      [() => rawSocketStream(ssc, 'localhost', 9999, { decoder: 'xml' as 'string' }), 'decoder'],
      [() => rawSocketStream(ssc, 'localhost', 9999, { maxRecordSize: 1.5 }), 'maxRecordSize'],
      [() => rawSocketStream(ssc, 'localhost', 9999, { maxRecordSize: 2 ** 33 }), 'maxRecordSize'],
      [
        () => rawSocketStream(ssc, 'localhost', 9999, { onDecodeError: 'drop' as 'skip' }),
        'onDecodeError',
      ],
      [() => rawSocketStream(ssc, 'localhost', 9999, { connectTimeout: 0 }), 'connectTimeout'],
      [() => rawSocketStream(ssc, 'localhost', 9999, { maxFrameLength: 0 }), 'maxFrameLength'],
      [
        () => rawSocketStream(ssc, 'localhost', 9999, { maxFrameLength: 2 ** 32 }),
        'maxFrameLength',
      ],
      [
        () => rawSocketStream(ssc, 'localhost', 9999, { maxFrameLength: 100, maxRecordSize: 200 }),
        'maxRecordSize',
      ],
      [() => rawSocketStream(ssc, 'localhost', 9999, { tls: 'yes' as unknown as true }), 'tls'],
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
});

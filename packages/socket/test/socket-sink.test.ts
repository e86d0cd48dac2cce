import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, ManualClock, StreamingContext } from '@dstream/core';
import { SocketError, socketSink } from '../src/index.js';
import { freePort, TestServer } from './helpers.js';

const servers: TestServer[] = [];
let context: StreamingContext | undefined;

async function server(port = 0): Promise<TestServer> {
  const started = await TestServer.start(port);
  servers.push(started);
  return started;
}

afterEach(async () => {
  await context?.stop();
  context = undefined;
  for (const s of servers.splice(0)) await s.stop();
});

const WAIT = { timeout: 10_000, interval: 20 };

describe('socketSink', () => {
  it('writes every record of every batch as a line, in order, over one connection', async () => {
    const tcp = await server();
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchInterval: 1000, clock });
    context = ssc;
    const sink = socketSink<[string, number]>({
      host: '127.0.0.1',
      port: tcp.port,
      format: ([w, n]) => `${w}=${n}`,
    });
    expect(sink.guarantee).toBe('at-least-once');
    ssc
      .queueStream<[string, number]>([
        [
          ['a', 1],
          ['b', 2],
        ],
        [],
        [['ü', 3]],
      ])
      .to(sink);
    ssc.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await ssc.awaitIdle();
    }
    await vi.waitFor(() => expect(tcp.lines).toEqual(['a=1', 'b=2', 'ü=3']), WAIT);
    expect(tcp.connections.length).toBe(1);
  });

  it('reconnects when the server went away and came back, retrying the write', async () => {
    const first = await server();
    const port = first.port;
    const sink = socketSink<string>({
      host: '127.0.0.1',
      port,
      reconnectDelay: 50,
      maxReconnectDelay: 100,
      retries: 20,
    });
    await sink.write(['one', 'two'], { batchTime: 1000, partition: 0, numPartitions: 1 });
    await vi.waitFor(() => expect(first.lines).toEqual(['one', 'two']), WAIT);

    await first.stop();
    servers.splice(servers.indexOf(first), 1);
    await vi.waitFor(() => expect(sink.connected).toBe(false), WAIT);
    // The server comes back while the write is being retried.
    let second: TestServer | undefined;
    const restart = new Promise<void>((resolve) =>
      setTimeout(() => {
        void server(port).then((s) => {
          second = s;
          resolve();
        });
      }, 200),
    );
    await sink.write(['three'], { batchTime: 2000, partition: 0, numPartitions: 1 });
    await restart;
    await vi.waitFor(() => expect(second?.lines).toEqual(['three']), WAIT);
    await sink.close();
  });

  it('fails the write after its retries when no server answers, naming the server', async () => {
    const port = await freePort();
    const sink = socketSink({
      host: '127.0.0.1',
      port,
      retries: 2,
      reconnectDelay: 10,
      maxReconnectDelay: 20,
    });
    const error = (await sink
      .write(['lost?'], { batchTime: 5000, partition: 1, numPartitions: 2 })
      .catch((e: unknown) => e)) as SocketError;
    expect(error).toBeInstanceOf(SocketError);
    expect(error.code).toBe('SOCKET_WRITE_FAILED');
    expect(error.address).toBe(`127.0.0.1:${port}`);
    expect(error.message).toContain('after 3 attempts');
    expect(error.message).toContain('partition 1 of the batch at 5000 ms');
  });

  it('rejects bad options when the sink is created, naming the option', () => {
    const bad: Array<[() => unknown, string]> = [
      [() => socketSink({ host: '', port: 1 }), 'host'],
      [() => socketSink({ host: 'localhost', port: -1 }), 'port'],
      [() => socketSink({ host: 'localhost', port: 1, retries: -1 }), 'retries'],
      [
        () => socketSink({ host: 'localhost', port: 1, format: 'json' as unknown as () => string }),
        'format',
      ],
      [
        () => socketSink({ host: 'localhost', port: 1, encoding: 'morse' as BufferEncoding }),
        'encoding',
      ],
      [() => socketSink({ host: 'localhost', port: 1, keepAlive: true } as never), 'keepAlive'],
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

import { afterEach, describe, it } from 'vitest';
import type { StreamingContext } from '@dstream/core';
import { FuzzRun, fuzzCount, fuzzTimeout } from '@dstream/testkit';
import { rawSocketStream, socketTextStream } from '../src/index.js';
import { frame, realTimeContext, send, TestServer } from './helpers.js';

let server: TestServer | undefined;
let context: StreamingContext | undefined;

afterEach(async () => {
  await context?.stop();
  context = undefined;
  await server?.stop();
  server = undefined;
});

const timeout = fuzzTimeout(fuzzCount());
const NEWLINE = Buffer.from('\n');

/** A started real-time context and the server's first connection. */
async function connected(start: (ssc: StreamingContext, port: number) => void) {
  server = await TestServer.start();
  const { ssc } = realTimeContext();
  context = ssc;
  start(ssc, server.port);
  ssc.start();
  return { ssc, peer: await server.connection() };
}

describe('socket connectors under fuzzed input', () => {
  it(
    'rawSocketStream delivers every good JSON frame once and dead-letters every bad one',
    async () => {
      const run = new FuzzRun('socket-raw');
      const { ssc, peer } = await connected((ssc, port) =>
        run.deliverFrom(
          rawSocketStream(ssc, '127.0.0.1', port, {
            decoder: 'json',
            onDecodeError: run.deadLetters(),
          }),
        ),
      );
      await run.send((chunk) => send(peer, Buffer.concat(chunk.map(frame))));
      await run.finish(ssc);
    },
    timeout,
  );

  it(
    'socketTextStream delivers every valid line once and dead-letters every line of invalid UTF-8',
    async () => {
      const run = new FuzzRun('socket-text', {
        badKinds: ['invalid-utf8', 'binary'],
        lineSafe: true,
      });
      const { ssc, peer } = await connected((ssc, port) =>
        run.deliverFrom(
          socketTextStream(ssc, '127.0.0.1', port, { onDecodeError: run.deadLetters() }),
        ),
      );
      await run.send((chunk) =>
        send(peer, Buffer.concat(chunk.flatMap((line) => [line, NEWLINE]))),
      );
      await run.finish(ssc);
    },
    timeout,
  );
});

import { afterEach, describe, it } from 'vitest';
import { deadLetter, type StreamingContext } from '@dstream/core';
import { FuzzRun, fuzzCount, fuzzTimeout } from '@dstream/testkit';
import { rawSocketStream, socketTextStream } from '../src/index.js';
import { collectInto, frame, realTimeContext, send, TestServer } from './helpers.js';

let server: TestServer | undefined;
let context: StreamingContext | undefined;

afterEach(async () => {
  await context?.stop();
  context = undefined;
  await server?.stop();
  server = undefined;
});

const timeout = fuzzTimeout(fuzzCount());

describe('socket connectors under fuzzed input', () => {
  it(
    'rawSocketStream delivers every good JSON frame once and dead-letters every bad one',
    async () => {
      const raw = new FuzzRun('socket-raw');
      server = await TestServer.start();
      const { ssc } = realTimeContext();
      context = ssc;
      const stream = rawSocketStream(ssc, '127.0.0.1', server.port, {
        decoder: 'json',
        onDecodeError: deadLetter(raw.tally.deadLetterSink()),
      });
      collectInto(stream, (record) => raw.tally.delivered(record));
      ssc.start();
      const peer = await server.connection();
      await raw.send((chunk) => send(peer, Buffer.concat(chunk.map(frame))));
      await raw.completion();
      await ssc.stop({ graceful: true });
      raw.conclude();
    },
    timeout,
  );

  it(
    'socketTextStream delivers every valid line once and dead-letters every line of invalid UTF-8',
    async () => {
      const text = new FuzzRun('socket-text', {
        badKinds: ['invalid-utf8', 'binary'],
        lineSafe: true,
      });
      server = await TestServer.start();
      const { ssc } = realTimeContext();
      context = ssc;
      const stream = socketTextStream(ssc, '127.0.0.1', server.port, {
        onDecodeError: deadLetter(text.tally.deadLetterSink()),
      });
      collectInto(stream, (line) => text.tally.delivered(line));
      ssc.start();
      const peer = await server.connection();
      const newline = Buffer.from('\n');
      await text.send((chunk) =>
        send(peer, Buffer.concat(chunk.flatMap((line) => [line, newline]))),
      );
      await text.completion();
      await ssc.stop({ graceful: true });
      text.conclude();
    },
    timeout,
  );
});

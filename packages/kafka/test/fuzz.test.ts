import { afterAll, afterEach, describe, it } from 'vitest';
import { StreamingContext } from '@dstream/core';
import { FuzzRun, fuzzCount, fuzzTimeout } from '@dstream/testkit';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { kafkaDirectStream } from '../src/index.js';
import { brokers, closeHelpers, createTopic, produce } from './helpers.js';

const available = await requireBroker('kafka', 'kafka fuzz');
const PARTITIONS = 3;
/** Messages per produce request. */
const CHUNK = 2000;

describe.skipIf(!available)('kafka direct stream under fuzzed input', () => {
  let ssc: StreamingContext | undefined;

  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  afterAll(async () => {
    await closeHelpers();
  });

  it(
    'delivers every good JSON value once and dead-letters every malformed one',
    async () => {
      // Kafka has no empty-versus-missing distinction worth fuzzing: a null value is a tombstone.
      const run = new FuzzRun('kafka', {
        badKinds: ['invalid-utf8', 'truncated-json', 'not-json', 'binary'],
      });
      const topic = await createTopic(PARTITIONS);
      let sent = 0;
      await run.send(
        (chunk) =>
          produce(
            topic,
            chunk.map((value) => ({ value, partition: sent++ % PARTITIONS })),
          ),
        { chunk: CHUNK },
      );
      ssc = new StreamingContext({ batchInterval: 300 });
      const stream = kafkaDirectStream<string, unknown>(ssc, {
        brokers,
        topics: [topic],
        startingOffsets: 'earliest',
        valueDecoder: 'json',
        onDecodeError: run.deadLetters(),
      });
      run.deliverFrom(stream, (record) => record.value);
      ssc.start();
      await run.finish(ssc);
    },
    fuzzTimeout(fuzzCount()),
  );
});

import { PubSub } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { StreamingContext } from '@dstream/core';
import { FuzzRun, fuzzCount, fuzzTimeout } from '@dstream/testkit';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { pubsubStream } from '../src/index.js';
import { PROJECT, topicWithSubscription, useEmulator } from './helpers.js';

const available = await requireBroker('pubsub', 'Pub/Sub fuzz on the pstest emulator');
/** Messages published before awaiting their confirmations. */
const WINDOW = 1000;

describe.skipIf(!available)('Pub/Sub stream under fuzzed input', () => {
  let admin: PubSub;
  let ssc: StreamingContext | undefined;

  beforeAll(() => {
    useEmulator();
    admin = new PubSub({ projectId: PROJECT });
  });

  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  afterAll(async () => {
    await admin.close();
  });

  it(
    'delivers every good JSON message once and dead-letters every malformed one',
    async () => {
      // Pub/Sub refuses a message without data, so there is no empty payload to send.
      const run = new FuzzRun('pubsub', {
        badKinds: ['invalid-utf8', 'truncated-json', 'not-json', 'binary'],
      });
      const { topic, subscriptionName } = await topicWithSubscription(admin, {
        ackDeadlineSeconds: 60,
      });
      ssc = new StreamingContext({ batchInterval: 300, blockInterval: 100 });
      const stream = pubsubStream(ssc, {
        projectId: PROJECT,
        subscription: subscriptionName,
        decoder: 'json',
        onDecodeError: run.deadLetters(),
      });
      run.deliverFrom(stream, (message) => message.data);
      ssc.start();
      // The emulator slows down with a long backlog: keep at most a few thousand messages in it.
      await run.send((chunk) => Promise.all(chunk.map((data) => topic.publishMessage({ data }))), {
        chunk: WINDOW,
        maxOutstanding: 4 * WINDOW,
      });
      await run.finish(ssc);
      await topic.delete();
    },
    fuzzTimeout(fuzzCount()),
  );
});

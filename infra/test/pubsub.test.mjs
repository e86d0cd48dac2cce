import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { brokerAddresses, requireBroker, usePubsubEmulator } from '../test-support/brokers.mjs';
import { deferred, uniqueName } from './helpers.mjs';

const runPubsub = await requireBroker('pubsub', 'infra pubsub smoke tests');

describe.runIf(runPubsub)('pub/sub fake (pstest, infra/brokers.sh)', () => {
  let pubsub;

  beforeAll(() => {
    // Sets PUBSUB_EMULATOR_HOST (the client then talks to the fake without credentials) and
    // METADATA_SERVER_DETECTION=none (else google-auth-library probes the GCE metadata server
    // at 169.254.169.254, off this machine).
    const host = usePubsubEmulator();
    expect(host).toBe(brokerAddresses().pubsub);
    pubsub = new PubSub({ projectId: 'dstream-test' });
  });

  afterAll(async () => {
    await pubsub?.close();
  });

  it('creates a topic and a subscription, publishes, receives and acknowledges', async () => {
    const [topic] = await pubsub.createTopic(uniqueName('infra-smoke-topic'));
    const [subscription] = await topic.createSubscription(uniqueName('infra-smoke-sub'), {
      ackDeadlineSeconds: 10,
    });
    try {
      const ids = [];
      for (let i = 0; i < 5; i++) {
        ids.push(
          await topic.publishMessage({
            data: Buffer.from(`message-${i}`),
            attributes: { i: `${i}` },
          }),
        );
      }
      expect(new Set(ids).size).toBe(5);

      const received = [];
      const all = deferred(20_000, 'not every Pub/Sub message arrived');
      subscription.on('message', (message) => {
        received.push({ data: message.data.toString(), i: message.attributes.i, id: message.id });
        message.ack();
        if (received.length === 5) all.resolve();
      });
      subscription.on('error', (error) => {
        throw error;
      });
      await all.promise;
      await subscription.close();

      expect(received.map((message) => message.data).sort()).toEqual(
        Array.from({ length: 5 }, (_, i) => `message-${i}`),
      );
      expect(received.map((message) => message.id).sort()).toEqual([...ids].sort());
      expect(received.every((message) => message.data === `message-${message.i}`)).toBe(true);
    } finally {
      await subscription.delete();
      await topic.delete();
    }
  });
});

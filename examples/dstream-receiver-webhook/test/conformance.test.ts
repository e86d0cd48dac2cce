import assert from 'node:assert/strict';
import { waitFor, type ReceiverHarness } from '@dstream/testkit';
import { describeReceiverConformance } from '@dstream/testkit/vitest';
import { createWebhookReceiver, type WebhookReceiver } from '../src/index.js';
import { accepts, freePort, RetryingWebhookClient } from './webhook-client.js';

interface Event {
  readonly id: number;
}

const MAX_PENDING_REQUESTS = 16;
const RECORDS_PER_REQUEST = 10;

/**
 * The webhook receiver in the conformance suite. The source is the clients: the harness plays
 * one that retries until it is answered 200, which is what makes the receiver reliable.
 */
function webhookHarness(): ReceiverHarness<Event> {
  let port = 0;
  let client: RetryingWebhookClient | undefined;
  return {
    name: 'webhookStream',
    capabilities: { reliable: true, replayable: false, ordered: false },
    async setup() {
      port = await freePort();
      client = new RetryingWebhookClient(new URL(`http://127.0.0.1:${port}/events`));
    },
    async teardown() {
      await client?.close();
      client = undefined;
    },
    createReceiver: ({ ackOn }) =>
      createWebhookReceiver<Event>({
        port,
        path: '/events',
        framing: 'lines',
        ackOn,
        maxPendingRequests: MAX_PENDING_REQUESTS,
        retryAfter: 0,
      }),
    whenReady: (receiver) => waitFor(() => (receiver as WebhookReceiver<Event>).listening),
    publish: async (ids) => client!.send(ids, RECORDS_PER_REQUEST),
    idOf: (event) => event.id,
    acknowledgedIds: () => client!.acknowledged,
    async assertReleased() {
      assert.equal(
        await accepts(port),
        false,
        `port ${port} still accepts connections after onStop`,
      );
    },
    settings: {
      // What the receiver may hold beyond the rate: its pending requests.
      backpressure: { allowance: MAX_PENDING_REQUESTS * RECORDS_PER_REQUEST + RECORDS_PER_REQUEST },
    },
  };
}

describeReceiverConformance(webhookHarness());

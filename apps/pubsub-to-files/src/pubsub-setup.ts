import { DStreamError } from '@dstream/core';
import { PubSub } from '@google-cloud/pubsub';

/** Where the Pub/Sub fake (or emulator) runs, and the project to use there. */
export interface PubSubTarget {
  /** `host:port` of the emulator. */
  readonly emulatorHost: string;
  readonly projectId: string;
}

/**
 * A Pub/Sub client for the emulator at `target.emulatorHost`: plain-text gRPC and no
 * credentials. It also turns off the Google metadata-server probe, which has nothing to find
 * off Google Cloud.
 */
export function emulatorClient(target: PubSubTarget): PubSub {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  return new PubSub({
    projectId: target.projectId,
    apiEndpoint: target.emulatorHost,
    emulatorMode: true,
  });
}

/**
 * Creates the topic and the subscription if they do not exist; returns the names created. Fails
 * with `PUBSUB_UNREACHABLE` naming the emulator when it does not answer.
 */
export async function prepareSubscription(
  pubsub: PubSub,
  target: PubSubTarget,
  topicName: string,
  subscriptionName: string,
): Promise<string[]> {
  const created: string[] = [];
  const topic = pubsub.topic(topicName);
  let exists: boolean;
  try {
    [exists] = await withTimeout(topic.exists(), 10_000);
  } catch (error) {
    throw new DStreamError(
      'PUBSUB_UNREACHABLE',
      `Cannot reach the Pub/Sub emulator at ${target.emulatorHost}: ${(error as Error).message}. Start it with \`bash infra/brokers.sh up pubsub\`, or name it with --emulator-host or PUBSUB_EMULATOR_HOST.`,
      { cause: error },
    );
  }
  if (!exists) {
    await topic.create();
    created.push(`topic ${topicName}`);
  }
  const subscription = topic.subscription(subscriptionName);
  const [subscriptionExists] = await subscription.exists();
  if (!subscriptionExists) {
    // Pub/Sub's default deadline: the client extends it while it holds a message, and a message
    // a stopped client never saw is redelivered 10 s later.
    await topic.createSubscription(subscriptionName, { ackDeadlineSeconds: 10 });
    created.push(`subscription ${subscriptionName}`);
  }
  return created;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

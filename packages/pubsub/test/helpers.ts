import type { DStream } from '@dstream/core';
import { PubSub, type CreateSubscriptionOptions, type Topic } from '@google-cloud/pubsub';
import { brokerAddresses } from '../../../infra/test-support/brokers.mjs';

/** The project the tests use on the emulator. */
export const PROJECT = 'dstream-test';

/** Points the client library at the pstest emulator (it reads PUBSUB_EMULATOR_HOST). */
export function useEmulator(): void {
  process.env.PUBSUB_EMULATOR_HOST ??= brokerAddresses().pubsub;
  // No Google Compute Engine metadata server to look for credentials on, next to the emulator.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
}

/** A name no other test run uses. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; fails with `what` after `timeout` milliseconds. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeout = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Every record of every batch of `stream`, in order. */
export function collect<T>(stream: DStream<T>): T[] {
  const records: T[] = [];
  stream.foreachBatch((batch) => {
    for (const record of batch.collect()) records.push(record);
  });
  return records;
}

/** A topic with one subscription, both new. */
export async function topicWithSubscription(
  admin: PubSub,
  options: CreateSubscriptionOptions = {},
): Promise<{ topic: Topic; topicName: string; subscriptionName: string }> {
  const topicName = unique('topic');
  const subscriptionName = unique('subscription');
  const [topic] = await admin.createTopic(topicName);
  await topic.createSubscription(subscriptionName, options);
  return { topic, topicName, subscriptionName };
}

/** Publishes `payloads` in order (each confirmed), with optional attributes and ordering keys. */
export async function publishAll(
  admin: PubSub,
  topicName: string,
  payloads: readonly string[],
  extra: (index: number) => {
    attributes?: Record<string, string>;
    orderingKey?: string;
  } = () => ({}),
): Promise<void> {
  const topic = admin.topic(topicName, { messageOrdering: true });
  await Promise.all(
    payloads.map((payload, i) => topic.publishMessage({ data: Buffer.from(payload), ...extra(i) })),
  );
}

/** `count` payloads `<prefix>-0`, `<prefix>-1`, … */
export function numbered(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

/** The payloads of `expected` missing from `received`. */
export function missing(expected: readonly string[], received: Iterable<string>): string[] {
  const seen = new Set(received);
  return expected.filter((payload) => !seen.has(payload));
}

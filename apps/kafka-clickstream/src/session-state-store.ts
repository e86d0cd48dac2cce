import { randomUUID } from 'node:crypto';
import { DStreamError, type Logger } from '@dstream/core';
import type { Kafka } from 'kafkajs';
import type { OpenSession } from './sessionization.js';

/** How long reading the state topic back may take. */
const RESTORE_TIMEOUT = 60_000;

/**
 * The open sessions an earlier run left in the compacted state topic: for every user, the
 * latest committed value (a tombstone removes the user).
 *
 * First it fences the earlier run's transactional producer: initializing a producer with the same
 * transactional id makes the broker abort a transaction the earlier run left open when it died,
 * so that reading `read_committed` to the end of the topic neither waits for it nor sees its
 * writes. Then it reads the topic from the beginning to the offsets it ends at now.
 */
export async function restoreOpenSessions(
  kafka: Kafka,
  topic: string,
  transactionalId: string,
  logger: Logger,
): Promise<Map<string, OpenSession>> {
  const fencing = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await fencing.connect();
  try {
    const transaction = await fencing.transaction();
    await transaction.abort();
  } finally {
    await fencing.disconnect();
  }

  const admin = kafka.admin();
  await admin.connect();
  let targets: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    targets = new Map(
      offsets
        .filter((entry) => BigInt(entry.high) > BigInt(entry.low))
        .map((entry) => [entry.partition, BigInt(entry.high)]),
    );
  } finally {
    await admin.disconnect();
  }
  const sessions = new Map<string, OpenSession>();
  if (targets.size === 0) return sessions;

  const consumer = kafka.consumer({
    groupId: `${topic}-restore-${randomUUID()}`,
    readUncommitted: false,
  });
  await consumer.connect();
  try {
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new DStreamError(
              'STATE_RESTORE_TIMEOUT',
              `Reading the open sessions back from Kafka topic "${topic}" took longer than ${RESTORE_TIMEOUT / 1000} s`,
            ),
          ),
        RESTORE_TIMEOUT,
      );
      // Called for every fetched batch, also one holding only transaction markers.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic !== topic) return;
        const target = targets.get(payload.partition);
        if (target !== undefined && BigInt(payload.lastOffset) + 1n >= target) {
          targets.delete(payload.partition);
        }
        if (targets.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const user = message.key?.toString();
        if (user === undefined) return;
        if (message.value === null) {
          sessions.delete(user);
          return;
        }
        try {
          sessions.set(user, parseOpenSession(message.value.toString()));
        } catch (error) {
          logger.warn({ err: error, topic, user }, 'Ignoring an unreadable open session');
        }
      },
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return sessions;
}

/** An open session as the state topic holds it (JSON), checked. */
export function parseOpenSession(text: string): OpenSession {
  const value = JSON.parse(text) as Partial<OpenSession>;
  if (
    typeof value.sessionId !== 'string' ||
    typeof value.user !== 'string' ||
    typeof value.start !== 'number' ||
    typeof value.end !== 'number' ||
    typeof value.pageViews !== 'number' ||
    !Array.isArray(value.pages)
  ) {
    throw new Error(
      'expected an open session with sessionId, user, start, end, pageViews and pages',
    );
  }
  // Batch times of the earlier run mean nothing to this one.
  return { ...(value as OpenSession), updatedAt: 0 };
}

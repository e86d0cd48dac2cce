import { DStreamError } from '@dstream/core';
import type { Kafka } from 'kafkajs';

/** The topics of the application. */
export interface ClickstreamTopics {
  /** Input: page views, keyed by user. */
  readonly pageViews: string;
  /** Output: finished sessions, keyed by user. */
  readonly sessions: string;
  /** The open sessions, keyed by user: a compacted changelog of the sessionization's state. */
  readonly sessionState: string;
}

/** The topic names for a prefix: `<prefix>.page-views`, `<prefix>.sessions`, `<prefix>.session-state`. */
export function topicsOf(prefix: string): ClickstreamTopics {
  return {
    pageViews: `${prefix}.page-views`,
    sessions: `${prefix}.sessions`,
    sessionState: `${prefix}.session-state`,
  };
}

/**
 * Creates the topics that do not exist yet, with `partitions` partitions (the state topic
 * compacted, so that it keeps the latest open session of every user). Fails with
 * `KAFKA_UNREACHABLE` naming the brokers when Kafka cannot be reached.
 */
export async function prepareTopics(
  kafka: Kafka,
  brokers: readonly string[],
  topics: ClickstreamTopics,
  partitions: number,
): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new DStreamError(
      'KAFKA_UNREACHABLE',
      `Cannot reach Kafka at ${brokers.join(',')}: ${(error as Error).message}. Start it with \`bash infra/brokers.sh up kafka\`, or name running brokers with --brokers or KAFKA_BROKERS.`,
      { cause: error },
    );
  }
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [
      { topic: topics.pageViews, numPartitions: partitions },
      { topic: topics.sessions, numPartitions: partitions },
      {
        topic: topics.sessionState,
        numPartitions: partitions,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ].filter(({ topic }) => !existing.has(topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map(({ topic }) => topic);
  } finally {
    await admin.disconnect();
  }
}

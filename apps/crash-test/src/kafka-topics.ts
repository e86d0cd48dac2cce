import { Kafka, logLevel, type Admin } from 'kafkajs';

/** A Kafka client for the crash test's own work (topics, input, reading back), with its logs off. */
export function crashTestKafka(brokers: readonly string[]): Kafka {
  return new Kafka({
    brokers: [...brokers],
    clientId: 'dstream-crash-test',
    logLevel: logLevel.NOTHING,
  });
}

/** Runs `work` with a connected admin client and disconnects it afterwards. */
export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates topics with the given number of partitions and waits for their leaders. */
export async function createTopics(
  kafka: Kafka,
  topics: readonly { readonly topic: string; readonly partitions: number }[],
): Promise<void> {
  await withAdmin(kafka, (admin) =>
    admin.createTopics({
      topics: topics.map(({ topic, partitions }) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    }),
  );
}

/** Deletes topics; a topic that is already gone is not an error. */
export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [...topics] })).catch(() => {});
}

/** Deletes consumer groups that have no members; a group that is gone or busy is left as it is. */
export async function deleteGroups(kafka: Kafka, groupIds: readonly string[]): Promise<void> {
  await withAdmin(kafka, (admin) => admin.deleteGroups([...groupIds])).catch(() => {});
}

/** The next offset to be written (high watermark) of every partition of `topic`. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

/** The offsets `groupId` committed for `topic`, per partition (`-1n` where none). */
export async function committedOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const [entry] = await withAdmin(kafka, (admin) =>
    admin.fetchOffsets({ groupId, topics: [topic] }),
  );
  return new Map(entry.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

/**
 * Every value of `topic` as a consumer with `isolationLevel: read_committed` sees it: records of
 * aborted transactions left out. Reads each partition from its beginning up to the end offset
 * it has when the read starts (so transactions must be finished: committed or aborted).
 */
export async function readCommittedValues(
  kafka: Kafka,
  topic: string,
  timeout = 60_000,
): Promise<string[]> {
  const ends = await endOffsets(kafka, topic);
  const positions = new Map<number, bigint>();
  const values: string[] = [];
  const consumer = kafka.consumer({
    groupId: `dstream-crash-test-reader-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  const advance = (partition: number, lastOffset: string): void => {
    const next = BigInt(lastOffset) + 1n;
    if (next > (positions.get(partition) ?? 0n)) positions.set(partition, next);
  };
  // Control records (transaction markers) and aborted records take offsets but reach no handler:
  // the end of each fetched batch says how far the partition was read.
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) =>
    advance(event.payload.partition, event.payload.lastOffset),
  );
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) values.push(message.value?.toString() ?? '');
        advance(batch.partition, batch.lastOffset());
      },
    });
    const deadline = Date.now() + timeout;
    while (![...ends].every(([partition, end]) => (positions.get(partition) ?? 0n) >= end)) {
      if (Date.now() > deadline) {
        throw new Error(
          `Could not read topic ${topic} to its end within ${timeout} ms (read ${JSON.stringify(Object.fromEntries([...positions].map(([p, o]) => [p, o.toString()])))}, end ${JSON.stringify(Object.fromEntries([...ends].map(([p, o]) => [p, o.toString()])))})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return values;
}

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DecodeError, StreamingContext, type OutputOperationInfo } from '@dstream/core';
import { requireBroker } from '../../../infra/test-support/brokers.mjs';
import { KafkaError, kafkaDirectStream, kafkaSink, kafkaStream } from '../src/index.js';
import {
  brokers,
  closeHelpers,
  createTopic,
  numbered,
  produce,
  uniqueName,
  waitFor,
} from './helpers.js';

const available = await requireBroker('kafka', 'kafka error paths');

/** A local port nothing listens on. */
const deadBroker = '127.0.0.1:1';
const fastFailure = {
  connectionTimeout: 300,
  retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 },
};

describe.skipIf(!available)(
  'Kafka error paths: clear errors, retries with backoff, no crash',
  () => {
    let ssc: StreamingContext | undefined;

    afterEach(async () => {
      await ssc?.stop();
      ssc = undefined;
    });

    afterAll(async () => {
      await closeHelpers();
    });

    /** A context that collects receiver errors and failed output operations. */
    function context(): {
      ctx: StreamingContext;
      receiverErrors: unknown[];
      failures: string[];
      batchErrors: unknown[];
    } {
      const ctx = new StreamingContext({ batchInterval: 300, blockInterval: 100 });
      ssc = ctx;
      const receiverErrors: unknown[] = [];
      const failures: string[] = [];
      const batchErrors: unknown[] = [];
      ctx.addListener({
        onReceiverError: ({ receiverInfo }) => receiverErrors.push(receiverInfo.lastError),
        onOutputOperationCompleted: ({
          outputOperationInfo,
        }: {
          outputOperationInfo: OutputOperationInfo;
        }) => {
          if (outputOperationInfo.failureReason !== undefined)
            failures.push(outputOperationInfo.failureReason);
        },
      });
      ctx.awaitTermination().catch((error: unknown) => batchErrors.push(error));
      return { ctx, receiverErrors, failures, batchErrors };
    }

    it('receiver: an unknown topic is reported by name and retried until it exists', async () => {
      const topic = uniqueName('missing');
      const { ctx, receiverErrors } = context();
      const seen: string[] = [];
      kafkaStream(ctx, {
        brokers,
        groupId: uniqueName('group'),
        topics: [topic],
        autoOffsetReset: 'earliest',
        reconnectDelay: 200,
        maxReconnectDelay: 400,
      }).foreachBatch((batch) => {
        for (const r of batch.collect()) seen.push(r.value as string);
      });
      ctx.start();
      await waitFor(() => receiverErrors.length >= 2, { message: 'two failed attempts' });
      const error = receiverErrors[0] as KafkaError;
      expect(error).toBeInstanceOf(KafkaError);
      expect(error.code).toBe('KAFKA_UNKNOWN_TOPIC');
      expect(error.topic).toBe(topic);
      expect(error.message).toContain(`"${topic}" does not exist on brokers ${brokers.join(',')}`);

      await createTopic(1, topic);
      await produce(topic, numbered('m', 5));
      await waitFor(() => seen.length >= 5, { message: 'records once the topic exists' });
      expect(seen).toEqual(numbered('m', 5).map((m) => m.value));
    });

    it('receiver: an unreachable broker is reported with its address and retried, without crashing', async () => {
      const { ctx, receiverErrors } = context();
      kafkaStream(ctx, {
        brokers: [deadBroker],
        groupId: 'g',
        topics: ['t'],
        reconnectDelay: 100,
        maxReconnectDelay: 200,
        ...fastFailure,
      }).print();
      ctx.start();
      await waitFor(() => receiverErrors.length >= 3, { message: 'three failed attempts' });
      const error = receiverErrors[0] as KafkaError;
      expect(error.code).toBe('KAFKA_CONNECTION_FAILED');
      expect(error.retriable).toBe(true);
      expect(error.message).toContain(deadBroker);
      expect(ctx.state).toBe('active');
    });

    it('direct stream: an unknown topic fails the batches by name until it exists, then the stream reads it', async () => {
      const topic = uniqueName('missing');
      const { ctx, batchErrors, failures } = context();
      const seen: string[] = [];
      kafkaDirectStream(ctx, {
        brokers,
        topics: [topic],
        startingOffsets: 'earliest',
      }).foreachBatch((batch) => {
        for (const r of batch.collect()) seen.push(r.value as string);
      });
      ctx.start();
      await waitFor(() => failures.length >= 2, { message: 'failed batches' });
      const cause = (batchErrors[0] as { cause?: unknown }).cause as KafkaError;
      expect(cause.code).toBe('KAFKA_UNKNOWN_TOPIC');
      expect(cause.message).toContain(`"${topic}" does not exist`);

      await createTopic(1, topic);
      await produce(topic, numbered('m', 5));
      await waitFor(() => seen.length >= 5, { message: 'records once the topic exists' });
      expect(seen).toEqual(numbered('m', 5).map((m) => m.value));
    });

    it('direct stream: an unreachable broker fails batches with its address, without crashing', async () => {
      const { ctx, batchErrors, failures } = context();
      kafkaDirectStream(ctx, { brokers: [deadBroker], topics: ['t'], ...fastFailure }).print();
      ctx.start();
      await waitFor(() => failures.length >= 2, { message: 'failed batches' });
      const cause = (batchErrors[0] as { cause?: unknown }).cause as KafkaError;
      expect(cause.code).toBe('KAFKA_CONNECTION_FAILED');
      expect(cause.message).toContain(deadBroker);
      expect(ctx.state).toBe('active');
    });

    it("direct stream: with onDecodeError 'fail' a bad record fails its batch, naming topic, partition and offset", async () => {
      const topic = await createTopic(1);
      await produce(topic, [{ value: '{"n":1}' }, { value: '{"n":2}' }, { value: 'not json' }]);
      const { ctx, batchErrors } = context();
      kafkaDirectStream<string, { n: number }>(ctx, {
        brokers,
        topics: [topic],
        startingOffsets: 'earliest',
        valueDecoder: 'json',
      }).print();
      ctx.start();
      await waitFor(() => batchErrors.length >= 1, { message: 'the failed batch' });
      const cause = (batchErrors[0] as { cause?: unknown }).cause as DecodeError;
      expect(cause).toBeInstanceOf(DecodeError);
      expect(cause.source).toBe(`topic ${topic} partition 0 offset 2`);
    });

    it("receiver: with onDecodeError 'skip' bad records are left out and the rest flows", async () => {
      const topic = await createTopic(1);
      await produce(topic, [{ value: '1' }, { value: '{' }, { value: '3' }]);
      const { ctx } = context();
      const seen: unknown[] = [];
      kafkaStream<string, number>(ctx, {
        brokers,
        groupId: uniqueName('group'),
        topics: [topic],
        autoOffsetReset: 'earliest',
        valueDecoder: 'json',
        onDecodeError: 'skip',
      }).foreachBatch((batch) => {
        for (const r of batch.collect()) seen.push(r.value);
      });
      ctx.start();
      await waitFor(() => seen.length >= 2, { message: 'the decodable records' });
      expect(seen).toEqual([1, 3]);
    });

    it('sink: an unknown topic fails the batch by name', async () => {
      const topic = uniqueName('missing');
      const { ctx, batchErrors } = context();
      ctx.queueStream([['a']]).to(kafkaSink<string>({ brokers, topic }));
      ctx.start();
      await waitFor(() => batchErrors.length >= 1, { message: 'the failed batch' });
      const cause = (batchErrors[0] as { cause?: unknown }).cause as KafkaError;
      expect(cause.code).toBe('KAFKA_UNKNOWN_TOPIC');
      expect(cause.message).toContain(`"${topic}" does not exist`);
    });

    it('sink: an unreachable broker fails the batch with its address', async () => {
      const { ctx, batchErrors } = context();
      ctx.queueStream([['a']]).to(
        kafkaSink<string>({
          brokers: [deadBroker],
          topic: 't',
          allowAutoTopicCreation: true,
          ...fastFailure,
        }),
      );
      ctx.start();
      await waitFor(() => batchErrors.length >= 1, { message: 'the failed batch' });
      const cause = (batchErrors[0] as { cause?: unknown }).cause as KafkaError;
      expect(cause.code).toBe('KAFKA_CONNECTION_FAILED');
      expect(cause.message).toContain(deadBroker);
    });
  },
);

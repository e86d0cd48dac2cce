import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, ManualClock, StreamingContext, deadLetter } from '@dstream/core';
import { createKafkaReceiver, kafkaDirectStream, kafkaSink, kafkaStream } from '../src/index.js';

const brokers = ['127.0.0.1:9092'];

/** Runs `define` and returns the ConfigurationError it throws. */
function configurationError(define: () => unknown): ConfigurationError {
  try {
    define();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('options are validated when a stream or sink is created', () => {
  let ssc: StreamingContext;

  afterEach(async () => {
    await ssc.stop();
  });

  function context(): StreamingContext {
    ssc = new StreamingContext({ batchInterval: 1000, clock: new ManualClock() });
    return ssc;
  }

  it.each([
    [
      'brokers',
      { brokers: [], groupId: 'g', topics: ['t'] },
      /Invalid brokers: \[\]; expected a non-empty array of "host:port"/,
    ],
    ['brokers', { brokers: ['localhost'], groupId: 'g', topics: ['t'] }, /"localhost" is not one/],
    [
      'groupId',
      { brokers, topics: ['t'] },
      /Invalid groupId: undefined; expected a non-empty string/,
    ],
    [
      'topics',
      { brokers, groupId: 'g', topics: [] },
      /Invalid topics: \[\]; expected a non-empty array of topic names/,
    ],
    ['topics', { brokers, groupId: 'g', topics: ['t', 't'] }, /expected distinct topic names/],
    [
      'ackOn',
      { brokers, groupId: 'g', topics: ['t'], ackOn: 'never' },
      /Invalid ackOn: "never"; expected one of 'stored', 'processed'/,
    ],
    [
      'autoOffsetReset',
      { brokers, groupId: 'g', topics: ['t'], autoOffsetReset: 'beginning' },
      /expected one of 'earliest', 'latest'/,
    ],
    [
      'topic',
      { brokers, groupId: 'g', topics: ['t'], topic: 't' },
      /Invalid topic: "t"; unknown option; known kafkaStream options are brokers/,
    ],
    [
      'heartbeatInterval',
      { brokers, groupId: 'g', topics: ['t'], sessionTimeout: 3000, heartbeatInterval: 3000 },
      /must be below sessionTimeout \(3000 ms\)/,
    ],
    [
      'valueDecoder',
      { brokers, groupId: 'g', topics: ['t'], valueDecoder: 'avro' },
      /Invalid valueDecoder: "avro"; expected 'string', 'json', 'buffer' or a function/,
    ],
    [
      'onDecodeError',
      { brokers, groupId: 'g', topics: ['t'], onDecodeError: 'ignore' },
      /Invalid onDecodeError: "ignore"/,
    ],
    [
      'sasl.mechanism',
      { brokers, groupId: 'g', topics: ['t'], sasl: { mechanism: 'kerberos' } },
      /expected one of 'plain', 'scram-sha-256'/,
    ],
    [
      'sasl.password',
      { brokers, groupId: 'g', topics: ['t'], sasl: { mechanism: 'plain', username: 'u' } },
      /Invalid sasl.password: "<hidden>"/,
    ],
    [
      'retry.retries',
      { brokers, groupId: 'g', topics: ['t'], retry: { retries: -1 } },
      /expected a whole number of zero or more/,
    ],
    [
      'maxRate',
      { brokers, groupId: 'g', topics: ['t'], maxRate: 0 },
      /Invalid maxRate: 0; expected a positive number/,
    ],
    [
      'maxReconnectDelay',
      {
        brokers,
        groupId: 'g',
        topics: ['t'],
        reconnectDelay: 500,
        maxReconnectDelay: 100,
      },
      /must be at least reconnectDelay/,
    ],
    [
      'clientLogLevel',
      { brokers, groupId: 'g', topics: ['t'], clientLogLevel: 'verbose' },
      /expected one of 'nothing', 'error'/,
    ],
  ])('kafkaStream rejects a bad %s', (option, options, message) => {
    const error = configurationError(() => kafkaStream(context(), options as never));
    expect(error.option).toBe(option);
    expect(error.code).toBe('INVALID_CONFIGURATION');
    expect(error.message).toMatch(message);
  });

  it.each([
    [
      'startingOffsets',
      { brokers, topics: ['t'], startingOffsets: 'committed' },
      /'committed' needs a groupId/,
    ],
    [
      'startingOffsets',
      { brokers, topics: ['t'], startingOffsets: 'beginning' },
      /expected 'committed', 'earliest', 'latest' or/,
    ],
    [
      'startingOffsets.other',
      { brokers, topics: ['t'], startingOffsets: { other: { 0: 5 } } },
      /topic is not one of the stream's topics \(t\)/,
    ],
    [
      'startingOffsets.t.0',
      { brokers, topics: ['t'], startingOffsets: { t: { 0: -1 } } },
      /expected an offset of zero or more/,
    ],
    [
      'startingOffsets.t.x',
      { brokers, topics: ['t'], startingOffsets: { t: { x: 1 } } },
      /expected a partition number/,
    ],
    [
      'commitOffsets',
      { brokers, topics: ['t'], commitOffsets: true },
      /committing offsets needs a groupId/,
    ],
    [
      'maxRatePerPartition',
      { brokers, topics: ['t'], maxRatePerPartition: -5 },
      /Invalid maxRatePerPartition: -5; expected a positive number/,
    ],
    [
      'readTimeout',
      { brokers, topics: ['t'], readTimeout: 1.5 },
      /expected a positive whole number/,
    ],
    [
      'ackOn',
      { brokers, topics: ['t'], ackOn: 'stored' },
      /unknown option; known kafkaDirectStream options/,
    ],
  ])('kafkaDirectStream rejects a bad %s', (option, options, message) => {
    const error = configurationError(() => kafkaDirectStream(context(), options as never));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['topic', { brokers }, /Invalid topic: undefined; expected a non-empty string/],
    [
      'value',
      { brokers, topic: 't', value: 'xml' },
      /expected 'string', 'json', 'buffer' or a function/,
    ],
    ['acks', { brokers, topic: 't', acks: 1 }, /an idempotent producer needs acks: -1/],
    [
      'acks',
      { brokers, topic: 't', acks: 2, idempotent: false },
      /expected -1 \(all in-sync replicas\), 1 \(the leader\) or 0/,
    ],
    ['compression', { brokers, topic: 't', compression: 'snappy' }, /expected 'none' or 'gzip'/],
    [
      'transactional.transactionalId',
      { brokers, topic: 't', transactional: {} },
      /expected a non-empty string/,
    ],
    [
      'headers',
      { brokers, topic: 't', headers: { bad: () => 1 } },
      /header "bad" has no JSON form/,
    ],
    ['batchSize', { brokers, topic: 't', batchSize: 0 }, /expected a positive whole number/],
  ])('kafkaSink rejects a bad %s', (option, options, message) => {
    context();
    const error = configurationError(() => kafkaSink(options as never));
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it('accepts complete, valid options without contacting a broker', () => {
    const ctx = context();
    const sink = kafkaSink<string>({
      brokers,
      topic: 'out',
      transactional: { transactionalId: 'app-1' },
    });
    expect(sink.guarantee).toBe('transactional');
    expect(kafkaSink<string>({ brokers, topic: 'out' }).guarantee).toBe('at-least-once');
    const received = kafkaStream<string, unknown>(ctx, {
      brokers: ['127.0.0.1:9092', '[::1]:9093'],
      groupId: 'g',
      topics: ['a', 'b'],
      ackOn: 'stored',
      valueDecoder: 'json',
      onDecodeError: deadLetter(sink as never),
      ssl: false,
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      clientId: 'billing',
      connectionTimeout: 500,
      requestTimeout: 10_000,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    const direct = kafkaDirectStream(ctx, {
      brokers,
      topics: ['a'],
      startingOffsets: { a: { 0: '12', 1: 7n } },
      maxRatePerPartition: 100,
    });
    expect(received.id).not.toBe(direct.id);
    expect(direct.offsetRangesAt(1000)).toBeUndefined();
  });

  it('createKafkaReceiver validates like kafkaStream, takes the block interval and leaves maxRate to the stream', () => {
    const receiver = createKafkaReceiver({
      brokers,
      groupId: 'g',
      topics: ['t'],
      ackOn: 'stored',
      blockInterval: 100,
    });
    expect(receiver.ackOn).toBe('stored');
    expect(receiver.capabilities).toEqual({ reliable: true, replayable: true, ordered: true });
    expect(createKafkaReceiver({ brokers, groupId: 'g', topics: ['t'] }).ackOn).toBe('processed');
    // Not started: a context runs it through receiverStream, with the stream's maxRate.
    const stream = context().receiverStream(receiver, { maxRate: 100 });
    expect(stream.id).toBeGreaterThanOrEqual(0);

    expect(
      configurationError(() =>
        createKafkaReceiver({ brokers, groupId: 'g', topics: ['t'], blockInterval: 0 }),
      ).option,
    ).toBe('blockInterval');
    expect(
      configurationError(() =>
        createKafkaReceiver({ brokers, groupId: 'g', topics: ['t'], maxRate: 10 } as never),
      ).message,
    ).toMatch(/maxRate/);
    expect(
      configurationError(() => createKafkaReceiver({ brokers, groupId: '', topics: ['t'] })).option,
    ).toBe('groupId');
    expect(
      configurationError(() =>
        kafkaStream(ssc, {
          brokers,
          groupId: 'g',
          topics: ['t'],
          blockInterval: 50,
        } as never),
      ).message,
    ).toMatch(/blockInterval/);
  });
});

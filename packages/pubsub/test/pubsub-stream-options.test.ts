import { ConfigurationError, StreamingContext } from '@dstream/core';
import { PubSub } from '@google-cloud/pubsub';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PubsubReceiver,
  pubsubSink,
  pubsubStream,
  resolvePubsubStreamOptions,
  type PubsubStreamOptions,
} from '../src/index.js';

/** The ConfigurationError `options` fail with. */
function rejectionOf(options: Record<string, unknown>): ConfigurationError {
  try {
    resolvePubsubStreamOptions(options as unknown as PubsubStreamOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

describe('Pub/Sub stream options', () => {
  it('applies defaults: acknowledgement once stored, 1000 messages and 100 MiB outstanding, leases for an hour', () => {
    expect(
      resolvePubsubStreamOptions({ subscription: 'orders' }, { flushInterval: 250 }),
    ).toMatchObject({
      subscription: 'orders',
      ackOn: 'stored',
      maxMessages: 1000,
      maxBytes: 100 * 1024 * 1024,
      maxExtension: 3_600_000,
      maxStreams: 5,
      flushInterval: 250,
      onDecodeError: 'fail',
    });
  });

  it.each([
    [{ subscription: '' }, 'subscription', /non-empty string/],
    [
      { subscription: 'projects/p/topics/t' },
      'subscription',
      /projects\/<project>\/subscriptions\/<name>/,
    ],
    [{ ackOn: 'eventually' }, 'ackOn', /expected one of 'stored', 'processed'/],
    [{ flowControl: { maxMessages: 0 } }, 'flowControl.maxMessages', /positive whole number/],
    [{ flowControl: { maxBytes: 1.5 } }, 'flowControl.maxBytes', /positive whole number/],
    [
      { flowControl: { allowExcessMessages: true } },
      'flowControl.allowExcessMessages',
      /unknown option/,
    ],
    [{ minAckDeadline: 5000 }, 'minAckDeadline', /10 000 to 600 000/],
    [
      { minAckDeadline: 20_000, maxAckDeadline: 10_000 },
      'maxAckDeadline',
      /at least minAckDeadline/,
    ],
    [{ maxExtension: -1 }, 'maxExtension', /positive whole number/],
    [{ decoder: 'avro' }, 'decoder', /expected 'string', 'json', 'buffer' or a function/],
    [{ onDecodeError: 'retry' }, 'onDecodeError', /expected 'fail', 'skip' or deadLetter\(sink\)/],
    [{ pubsub: {} }, 'pubsub', /a PubSub client/],
    [{ projectId: '' }, 'projectId', /non-empty string/],
    [{ topic: 'orders' }, 'topic', /unknown option; known pubsubStream options are subscription/],
  ] as const)('rejects %j naming the option %s', (override, option, reason) => {
    const error = rejectionOf({ subscription: 'orders', ...override });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(reason);
  });

  it('checks the client settings when the receiver is created', () => {
    expect(() => new PubsubReceiver({ subscription: 'orders', pubsub: {} as PubSub })).toThrow(
      /expected a PubSub client/,
    );
    const receiver = new PubsubReceiver({ subscription: 'orders', projectId: 'shop' });
    expect(receiver.name).toBe('PubsubReceiver[orders]');
    expect(receiver.capabilities).toEqual({ reliable: true, replayable: true, ordered: false });
    expect(receiver.options.flushInterval).toBe(200);
  });
});

describe('pubsubStream and pubsubSink validate when created', () => {
  let ssc: StreamingContext | undefined;
  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  it('pubsubStream fails at once on a bad option', () => {
    ssc = new StreamingContext({ batchInterval: 1000 });
    expect(() =>
      pubsubStream(ssc!, { subscription: 'orders', flowControl: { maxMessages: -5 } }),
    ).toThrow(ConfigurationError);
  });

  it.each([
    [{ topic: '' }, 'topic', /non-empty string/],
    [{ topic: 'projects/p/subscriptions/s' }, 'topic', /projects\/<project>\/topics\/<name>/],
    [
      { encoder: 'protobuf' },
      'encoder',
      /expected 'auto', 'string', 'json', 'buffer' or a function/,
    ],
    [{ orderingKey: 'device' }, 'orderingKey', /expected a function/],
    [{ attributes: { a: 'b' } }, 'attributes', /expected a function/],
    [{ batching: { maxMessages: 0 } }, 'batching.maxMessages', /positive whole number/],
    [{ batching: { linger: 5 } }, 'batching.linger', /unknown option/],
    [{ subscription: 's' }, 'subscription', /unknown option/],
  ] as const)('pubsubSink rejects %j naming the option %s', (override, option, reason) => {
    let thrown: unknown;
    try {
      pubsubSink({ topic: 'alerts', ...override } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).option).toBe(option);
    expect((thrown as ConfigurationError).message).toMatch(reason);
  });
});

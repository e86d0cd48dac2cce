import { ConfigurationError, StreamingContext } from '@dstream/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MqttReceiver,
  mqttSink,
  mqttStream,
  resolveMqttStreamOptions,
  topicFilterProblem,
  type MqttStreamOptions,
} from '../src/index.js';

const base = { url: 'mqtt://127.0.0.1:1883', topics: 'sensors/#', clientId: 'job' };

/** The ConfigurationError `options` fail with. */
function rejectionOf(options: Record<string, unknown>): ConfigurationError {
  try {
    resolveMqttStreamOptions(options as unknown as MqttStreamOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

describe('MQTT stream options', () => {
  it('applies defaults: QoS 1, MQTT 5, a one-day session, acknowledgement once stored, 20 in flight', () => {
    const resolved = resolveMqttStreamOptions(base, { flushInterval: 150 });
    expect(resolved).toMatchObject({
      qos: 1,
      reliable: true,
      protocolVersion: 5,
      sessionExpiryInterval: 86_400,
      ackOn: 'stored',
      maxInflight: 20,
      flushInterval: 150,
      topics: ['sensors/#'],
      onDecodeError: 'fail',
      keepalive: 30,
      reconnectDelay: 500,
      maxReconnectDelay: 30_000,
    });
    expect(resolved.decoder(Buffer.from('héllo'))).toBe('héllo');
  });

  it('requires a fixed client id for a reliable receiver, and makes one up for QoS 0', () => {
    const error = rejectionOf({ url: base.url, topics: 't', qos: 2 });
    expect(error.option).toBe('clientId');
    expect(error.message).toMatch(/fixed client id is required with qos 2/);
    expect(resolveMqttStreamOptions({ url: base.url, topics: 't', qos: 0 }).clientId).toMatch(
      /^dstream-[0-9a-f]+$/,
    );
  });

  it.each([
    ['a/#/b', /'#' may only be a whole last level/],
    ['a/b+', /'\+' only a whole level/],
    ['', /non-empty topic filter/],
    ['$share//t', /\$share\/<group>\/<filter>/],
    ['$share/group', /\$share\/<group>\/<filter>/],
    ['$share/gr+oup/t', /the group without \+ or #/],
  ])('rejects the topic filter %j', (filter, reason) => {
    const error = rejectionOf({ ...base, topics: [filter] });
    expect(error.option).toBe('topics');
    expect(error.message).toMatch(reason);
  });

  it('accepts wildcards and shared subscriptions, and rejects duplicates and empty lists', () => {
    expect(topicFilterProblem('sensors/+/temperature')).toBeUndefined();
    expect(topicFilterProblem('#')).toBeUndefined();
    expect(topicFilterProblem('$share/workers/jobs/#')).toBeUndefined();
    expect(rejectionOf({ ...base, topics: ['a', 'a'] }).message).toMatch(/listed twice/);
    expect(rejectionOf({ ...base, topics: [] }).message).toMatch(/non-empty array/);
  });

  it.each([
    [{ qos: 3 }, 'qos', /expected 0, 1 or 2/],
    [{ protocolVersion: 3 }, 'protocolVersion', /expected 5 \(MQTT 5\) or 4 \(MQTT 3\.1\.1\)/],
    [{ ackOn: 'never' }, 'ackOn', /expected one of 'stored', 'processed'/],
    [{ qos: 0, ackOn: 'processed' }, 'ackOn', /never acknowledged/],
    [
      { sessionExpiryInterval: 0 },
      'sessionExpiryInterval',
      /session that outlives a disconnection/,
    ],
    [{ maxInflight: 0 }, 'maxInflight', /positive whole number/],
    [{ maxInflight: 70_000 }, 'maxInflight', /at most 65535/],
    [{ flushInterval: 2.5 }, 'flushInterval', /positive whole number/],
    [
      { reconnectDelay: 1000, maxReconnectDelay: 10 },
      'maxReconnectDelay',
      /at least reconnectDelay/,
    ],
    [{ decoder: 'xml' }, 'decoder', /expected 'string', 'json', 'buffer' or a function/],
    [{ onDecodeError: 'ignore' }, 'onDecodeError', /expected 'fail', 'skip' or deadLetter\(sink\)/],
    [{ password: 42 }, 'password', /a string or a Buffer/],
    [{ url: 'http://broker:80' }, 'url', /mqtt: mqtts:/],
    [{ url: 'not a url' }, 'url', /such as mqtt:\/\/127\.0\.0\.1:1883/],
    [{ clientOptions: { clientId: 'other' } }, 'clientOptions.clientId', /set by the connector/],
    [
      { clientOptions: { properties: { topicAliasMaximum: 10 } } },
      'clientOptions.properties.topicAliasMaximum',
      /not supported/,
    ],
    [{ topic: 'singular' }, 'topic', /unknown option; known mqttStream options are url, topics/],
  ] as const)('rejects %j naming the option %s', (override, option, reason) => {
    const error = rejectionOf({ ...base, ...override });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(reason);
  });

  it('never repeats credentials of the URL in an error', () => {
    const error = rejectionOf({ ...base, url: 'http://alice:secret@broker:80' });
    expect(error.message).not.toContain('secret');
  });

  it('allows MQTT 3.1.1 reliable receivers without a session expiry (the broker keeps the session)', () => {
    expect(
      resolveMqttStreamOptions({ ...base, protocolVersion: 4, sessionExpiryInterval: 0 })
        .sessionExpiryInterval,
    ).toBe(0);
  });
});

describe('mqttStream and mqttSink validate when created', () => {
  let ssc: StreamingContext | undefined;
  afterEach(async () => {
    await ssc?.stop();
    ssc = undefined;
  });

  it('mqttStream fails at once on a bad option; a receiver on its own flushes every 200 ms', () => {
    ssc = new StreamingContext({ batchInterval: 1000, blockInterval: 250 });
    expect(() => mqttStream(ssc!, { ...base, qos: 5 as 1 })).toThrow(ConfigurationError);
    const receiver = new MqttReceiver({ ...base });
    expect(receiver.options.flushInterval).toBe(200);
    expect(receiver.name).toBe('MqttReceiver[job]');
  });

  it.each([
    [{ topic: 'alerts/#' }, 'topic', /wildcards/],
    [{ topic: '' }, 'topic', /non-empty topic/],
    [{ qos: 7 }, 'qos', /expected 0, 1 or 2/],
    [{ encoder: 'yaml' }, 'encoder', /expected 'auto', 'string', 'json', 'buffer' or a function/],
    [{ retain: 'yes' }, 'retain', /true or false/],
    [{ maxInflight: -1 }, 'maxInflight', /positive whole number/],
    [{ topics: ['a'] }, 'topics', /unknown option/],
  ] as const)('mqttSink rejects %j naming the option %s', (override, option, reason) => {
    let thrown: unknown;
    try {
      mqttSink({ url: base.url, topic: 'alerts', ...override } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).option).toBe(option);
    expect((thrown as ConfigurationError).message).toMatch(reason);
  });
});

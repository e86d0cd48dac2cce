// Receiver throughput against a real broker: messages per second that a plain mqtt.js client
// (acknowledging each message as it arrives) and dstream's MQTT receivers take, side by side in one
// run on the same broker, for QoS 0, 1 and 2, and the ratio between them.
//
//   pnpm --filter @dstream/mqtt bench            (builds the package, then runs this script)
//   node bench/receiver-throughput.mjs [--messages 20000] [--url mqtt://127.0.0.1:1883]
//
// QoS 1 and 2: the messages are queued in the consumer's persistent session first, so that what is
// measured is how fast a consumer drains its session, not how fast a publisher can publish.
// QoS 0: Mosquitto does not queue QoS 0 for offline clients, so a publisher publishes while the
// consumer is connected, as fast as it can, and the clock starts with the first publication.
//
// Prints a table and writes bench-results/mqtt-receiver-throughput.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamingContext } from '@dstream/core';
import { connect } from 'mqtt';
import { MqttReceiver } from '../dist/index.js';

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const url = args.get('url') ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const messages = Number(args.get('messages') ?? 20_000);
const batchInterval = 1000;
const blockInterval = 200;
const runId = `${process.pid}-${Date.now().toString(36)}`;
let sequence = 0;
const name = (prefix) => `bench-${prefix}-${runId}-${sequence++}`;

function connected(options) {
  const client = connect(url, { reconnectPeriod: 0, protocolVersion: 5, ...options });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no connection to ${url} within 10 s`)),
      10_000,
    );
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', reject);
    client.once('close', () => reject(new Error(`connection to ${url} closed`)));
  });
}

/** Creates `clientId`'s persistent session subscribed to `topic`, then queues `count` messages in it. */
async function preload(clientId, topic, qos, count) {
  const session = await connected({
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });
  await session.subscribeAsync(topic, { qos });
  await session.endAsync();
  const publisher = await connected({});
  const payload = Buffer.alloc(64, 120);
  const window = qos === 2 ? 20 : 200;
  for (let i = 0; i < count; i += window) {
    const chunk = [];
    for (let j = i; j < Math.min(count, i + window); j++)
      chunk.push(publisher.publishAsync(topic, payload, { qos }));
    await Promise.all(chunk);
  }
  await publisher.endAsync();
}

/** Removes the session the broker keeps under `clientId`. */
async function removeSession(clientId) {
  const client = await connected({
    clientId,
    clean: true,
    properties: { sessionExpiryInterval: 0 },
  });
  await client.endAsync();
}

/** Publishes `count` QoS 0 messages as fast as the socket takes them. */
async function publishQos0(topic, count) {
  const publisher = await connected({});
  const payload = Buffer.alloc(64, 120);
  for (let i = 0; i < count; i++) {
    if (!publisher.stream.writableNeedDrain) publisher.publish(topic, payload, { qos: 0 });
    else {
      await new Promise((resolve) => publisher.stream.once('drain', resolve));
      publisher.publish(topic, payload, { qos: 0 });
    }
  }
  return publisher;
}

function waitFor(condition, timeout) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeout;
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error('timed out'));
      }
    }, 5);
  });
}

/** A plain mqtt.js consumer: counts 'message' events; mqtt.js acknowledges each at once. */
async function rawConsumer(qos, count) {
  const topic = name('raw');
  const clientId = name('raw-client');
  if (qos > 0) await preload(clientId, topic, qos, count);
  let received = 0;
  let started = performance.now();
  const client = connect(url, {
    clientId,
    clean: qos === 0,
    protocolVersion: 5,
    reconnectPeriod: 0,
    properties: qos > 0 ? { sessionExpiryInterval: 3600 } : undefined,
  });
  client.on('message', () => received++);
  let publisher;
  if (qos === 0) {
    await new Promise((resolve) => client.once('connect', resolve));
    await client.subscribeAsync(topic, { qos: 0 });
    started = performance.now();
    publisher = await publishQos0(topic, count);
  }
  await waitFor(() => received >= count * (qos === 0 ? 0.99 : 1), 120_000);
  const seconds = (performance.now() - started) / 1000;
  await client.endAsync();
  await publisher?.endAsync();
  if (qos > 0) await removeSession(clientId);
  return { received, seconds };
}

/** A dstream receiver in a running context: counts records as they are stored. */
async function dstreamConsumer(qos, count, receiverOptions = {}, contextOptions = {}) {
  const topic = name('dstream');
  const clientId = name('dstream-client');
  if (qos > 0) await preload(clientId, topic, qos, count);
  const ssc = new StreamingContext({ batchInterval, blockInterval, ...contextOptions });
  const receiver = new MqttReceiver({
    url,
    topics: topic,
    qos,
    ...(qos > 0 ? { clientId } : {}),
    decoder: 'buffer',
    flushInterval: contextOptions.blockInterval ?? blockInterval,
    ...receiverOptions,
  });
  // The batches run (and, with ackOn 'processed', acknowledge) but the clock stops on storing.
  ssc.receiverStream(receiver).foreachBatch(() => undefined);
  let started = performance.now();
  ssc.start();
  let publisher;
  if (qos === 0) {
    await waitFor(() => receiver.stats.connections > 0, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the subscription becomes active
    started = performance.now();
    publisher = await publishQos0(topic, count);
  }
  // Stored records: what the receiver took (the batches that process them trail by a batch interval).
  const stored = () => (qos === 0 ? receiver.stats.received : receiver.stats.stored);
  await waitFor(() => stored() >= count * (qos === 0 ? 0.99 : 1), 300_000);
  const seconds = (performance.now() - started) / 1000;
  await ssc.stop();
  await publisher?.endAsync();
  if (qos > 0) await removeSession(clientId);
  return { received: stored(), seconds };
}

const repeat = Number(args.get('repeat') ?? 3);
const results = [];

/** Runs `measure` `repeat` times and keeps the run with the median rate. */
async function median(measure) {
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(await measure());
  runs.sort((a, b) => a.received / a.seconds - b.received / b.seconds);
  return runs[Math.floor(runs.length / 2)];
}

async function variant(label, qos, measure, baseline) {
  const { received, seconds } = await median(measure);
  const rate = received / seconds;
  process.stderr.write(`${label}, QoS ${qos}: ${received} in ${seconds.toFixed(2)} s\n`);
  results.push({
    variant: label,
    qos,
    messages: messages,
    seconds: Number(seconds.toFixed(3)),
    messagesPerSecond: Math.round(rate),
    ratioToRawClient: baseline === undefined ? 1 : Number((rate / baseline).toFixed(2)),
  });
  return rate;
}

for (const qos of [0, 1, 2]) {
  const raw = await variant('mqtt.js client, acknowledging on arrival', qos, () =>
    rawConsumer(qos, messages),
  );
  if (qos === 0) {
    await variant('dstream unreliable receiver', qos, () => dstreamConsumer(qos, messages), raw);
    continue;
  }
  await variant(
    "dstream reliable, ackOn 'stored' (default)",
    qos,
    () => dstreamConsumer(qos, messages),
    raw,
  );
  await variant(
    "dstream reliable, ackOn 'stored', no early flush (block timer only)",
    qos,
    () => dstreamConsumer(qos, messages, { maxInflight: 65_535 }),
    raw,
  );
  await variant(
    "dstream reliable, ackOn 'processed'",
    qos,
    () => dstreamConsumer(qos, messages, { ackOn: 'processed' }),
    raw,
  );
}

console.log(
  `\nMQTT receiver throughput on ${url}: ${messages} messages of 64 bytes, batch ${batchInterval} ms, block ${blockInterval} ms, median of ${repeat} runs\n`,
);
console.table(
  results.map(({ variant, qos, messages: n, seconds, messagesPerSecond, ratioToRawClient }) => ({
    variant,
    qos,
    messages: n,
    seconds,
    'msg/s': messagesPerSecond,
    'vs raw': ratioToRawClient,
  })),
);
const directory = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench-results');
mkdirSync(directory, { recursive: true });
const file = path.join(directory, 'mqtt-receiver-throughput.json');
writeFileSync(
  file,
  `${JSON.stringify({ url, messages, batchInterval, blockInterval, repeat, node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`,
);
console.log(`written to ${file}`);

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DStream } from '@dstream/core';
import aedes from 'aedes';
import { connect, type MqttClient } from 'mqtt';
import {
  brokerAddresses,
  canControlBroker,
  restartBroker,
} from '../../../infra/test-support/brokers.mjs';

/** A broker the receiver tests run against. */
export interface BrokerUnderTest {
  readonly name: string;
  readonly url: string;
  /** The newest MQTT version the broker speaks. */
  readonly protocolVersion: 4 | 5;
  readonly sharedSubscriptions: boolean;
  /** Whether {@link restart} can restart it. */
  readonly restartable: boolean;
  /** Stops the broker and starts it again with its sessions and queued messages. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Mosquitto, as infra/brokers.sh runs it. */
export function mosquitto(): BrokerUnderTest {
  return {
    name: 'mosquitto',
    url: brokerAddresses().mqtt,
    protocolVersion: 5,
    sharedSubscriptions: true,
    restartable: canControlBroker('mosquitto'),
    restart: async () => {
      await restartBroker('mosquitto');
    },
    close: async () => undefined,
  };
}

/**
 * An aedes broker in this process, as applications embed one: MQTT 3.1.1, no shared
 * subscriptions. Restarting it closes the broker and its listener and opens new ones on the same
 * port with the same (in-memory) persistence, so sessions and queued messages survive.
 */
export async function startAedes(): Promise<BrokerUnderTest> {
  let broker = aedes.createBroker();
  const persistence = (broker as unknown as { persistence: unknown }).persistence;
  let server = net.createServer((socket) => broker.handle(socket));
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;
  const stop = async (): Promise<void> => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    name: 'aedes',
    url: `mqtt://127.0.0.1:${port}`,
    protocolVersion: 4,
    sharedSubscriptions: false,
    restartable: true,
    restart: async () => {
      await stop();
      await sleep(300);
      broker = aedes.createBroker({ persistence });
      server = net.createServer((socket) => broker.handle(socket));
      await listen(server, port);
    },
    close: stop,
  };
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
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

/** A plain mqtt.js client, connected. */
export async function mqttClient(
  url: string,
  protocolVersion: 4 | 5 = 5,
  clientId?: string,
): Promise<MqttClient> {
  const client = connect(url, {
    protocolVersion,
    reconnectPeriod: 200,
    ...(clientId === undefined ? {} : { clientId }),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/**
 * Publishes every payload, each confirmed at QoS 1 and 2, at most 10 at a time (Mosquitto refuses
 * QoS 2 publications beyond its in-flight limit with "quota exceeded").
 */
export async function publishAll(
  client: MqttClient,
  topic: string,
  payloads: readonly (string | Buffer)[],
  qos: 0 | 1 | 2 = 1,
): Promise<void> {
  for (let i = 0; i < payloads.length; i += 10) {
    await Promise.all(
      payloads.slice(i, i + 10).map((payload) => client.publishAsync(topic, payload, { qos })),
    );
  }
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

const require = createRequire(import.meta.url);
const viteNodeBin = path.join(
  path.dirname(
    createRequire(require.resolve('vitest/package.json')).resolve('vite-node/package.json'),
  ),
  'vite-node.mjs',
);
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A TypeScript fixture of `test/fixtures` running in its own Node process. */
export interface FixtureProcess {
  readonly child: ChildProcess;
  /** Lines the process printed so far. */
  readonly lines: string[];
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<string>;
}

/** Runs `test/fixtures/<name>.ts` with `args` in a new process. */
export function runFixture(name: string, args: readonly string[]): FixtureProcess {
  const child = spawn(
    process.execPath,
    [viteNodeBin, path.join(fixtures, `${name}.ts`), '--', ...args],
    {
      cwd: path.join(fixtures, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) =>
      resolve(signal ?? `code ${code}${errors ? `: ${errors.slice(-2000)}` : ''}`),
    );
  });
  return { child, lines, exited };
}

#!/usr/bin/env node
// Readiness probes for the brokers used by dstream's tests, with no dependencies
// beyond Node itself, so that infra/brokers.sh can wait for a broker before
// `pnpm install` has run.
//
// Each probe speaks the broker's own protocol and succeeds only when a client
// could really use the broker:
//   kafka   Metadata (v4) lists at least one broker, then FindCoordinator (v1) finds
//           a group coordinator and a transaction coordinator, which makes the broker
//           create __consumer_offsets and __transaction_state if they are missing.
//   mqtt    MQTT 3.1.1 CONNECT is answered by CONNACK "accepted".
//   pubsub  the gRPC call google.pubsub.v1.Publisher/ListTopics returns status OK.
//
// CLI: node infra/lib/probes.mjs <kafka|mqtt|pubsub> [address] [--timeout SECONDS] [--pid PID] [--quiet]
//      one attempt, or retries until SECONDS have passed (or process PID has exited);
//      exits 0 once the broker answers, 1 when it does not.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import http2 from 'node:http2';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

/** Default addresses; each can be overridden by its environment variable. */
export const DEFAULT_ADDRESSES = Object.freeze({
  kafka: '127.0.0.1:9092',
  mqtt: 'mqtt://127.0.0.1:1883',
  pubsub: '127.0.0.1:8085',
});

/** Environment variable that overrides each broker's address. */
export const ADDRESS_VARIABLES = Object.freeze({
  kafka: 'KAFKA_BROKERS',
  mqtt: 'MQTT_URL',
  pubsub: 'PUBSUB_EMULATOR_HOST',
});

export const BROKER_NAMES = Object.freeze(['kafka', 'mqtt', 'pubsub']);

/** Maps the names used by infra/brokers.sh ("mosquitto") to the probe names ("mqtt"). */
export function normalizeBrokerName(name) {
  const lower = String(name).toLowerCase();
  if (lower === 'mosquitto') return 'mqtt';
  if (BROKER_NAMES.includes(lower)) return lower;
  throw new Error(
    `unknown broker ${JSON.stringify(name)}: expected one of kafka, mqtt (or mosquitto), pubsub`,
  );
}

/** The address of a broker: its environment variable when set and not empty, else the default. */
export function brokerAddress(name, env = process.env) {
  const key = normalizeBrokerName(name);
  const value = env[ADDRESS_VARIABLES[key]];
  return value && value.trim() !== '' ? value.trim() : DEFAULT_ADDRESSES[key];
}

function splitHostPort(address, defaultPort) {
  const text = address.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1], port: Number(bracketed[2] ?? defaultPort) };
  const index = text.lastIndexOf(':');
  if (index > 0 && text.indexOf(':') === index) {
    return { host: text.slice(0, index), port: Number(text.slice(index + 1)) };
  }
  return { host: text, port: defaultPort };
}

function withDeadline(promise, timeoutMs, what, onTimeout) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Opens a TCP connection; rejects with a short reason (ECONNREFUSED, timed out, ...). */
function openSocket(host, port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect ${host}:${port}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`connect ${host}:${port}: ${error.code ?? error.message}`));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** Opens a TCP connection and resolves with a reader of exact byte counts. */
async function connect(host, port, timeoutMs) {
  return new ByteReader(await openSocket(host, port, timeoutMs));
}

class ByteReader {
  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.waiting = null;
    this.failure = null;
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.#wake();
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('connection closed by the broker')));
  }

  #fail(error) {
    if (!this.failure) this.failure = error;
    this.#wake();
  }

  #wake() {
    const waiting = this.waiting;
    if (!waiting) return;
    if (this.buffer.length >= waiting.count) {
      this.waiting = null;
      const bytes = this.buffer.subarray(0, waiting.count);
      this.buffer = this.buffer.subarray(waiting.count);
      waiting.resolve(bytes);
    } else if (this.failure) {
      this.waiting = null;
      waiting.reject(this.failure);
    }
  }

  read(count) {
    return new Promise((resolve, reject) => {
      this.waiting = { count, resolve, reject };
      this.#wake();
    });
  }

  write(bytes) {
    this.socket.write(bytes);
  }

  close() {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- Kafka

function kafkaString(value) {
  const bytes = Buffer.from(value, 'utf8');
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

class KafkaCursor {
  constructor(buffer) {
    this.buffer = buffer;
    this.offset = 0;
  }
  int8() {
    return this.buffer.readInt8((this.offset += 1) - 1);
  }
  int16() {
    return this.buffer.readInt16BE((this.offset += 2) - 2);
  }
  int32() {
    return this.buffer.readInt32BE((this.offset += 4) - 4);
  }
  string() {
    const length = this.int16();
    if (length < 0) return null;
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

async function kafkaRequest(reader, apiKey, apiVersion, correlationId, body) {
  const header = Buffer.alloc(8);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(correlationId, 4);
  const payload = Buffer.concat([header, kafkaString('dstream-infra-probe'), body]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  reader.write(Buffer.concat([size, payload]));
  const length = (await reader.read(4)).readInt32BE(0);
  const response = new KafkaCursor(await reader.read(length));
  const echoed = response.int32();
  if (echoed !== correlationId) {
    throw new Error(`correlation id ${echoed} in answer, expected ${correlationId}`);
  }
  return response;
}

const KAFKA_ERRORS = {
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
};

async function probeOneKafka(host, port, timeoutMs) {
  const reader = await connect(host, port, timeoutMs);
  try {
    return await withDeadline(
      (async () => {
        // Metadata v4: topics = [] (no topic needed), allow_auto_topic_creation = false.
        const metadata = await kafkaRequest(reader, 3, 4, 1, Buffer.from([0, 0, 0, 0, 0]));
        metadata.int32(); // throttle_time_ms
        const brokerCount = metadata.int32();
        const brokers = [];
        for (let i = 0; i < brokerCount; i++) {
          const nodeId = metadata.int32();
          const brokerHost = metadata.string();
          const brokerPort = metadata.int32();
          metadata.string(); // rack
          brokers.push(`${nodeId}@${brokerHost}:${brokerPort}`);
        }
        const clusterId = metadata.string();
        const controllerId = metadata.int32();
        if (brokerCount < 1) throw new Error('metadata lists no broker yet');
        // FindCoordinator v1: key_type 0 = consumer group, 1 = transaction.
        const coordinators = [];
        for (const [keyType, key] of [
          [0, 'dstream-infra-probe'],
          [1, 'dstream-infra-probe'],
        ]) {
          const answer = await kafkaRequest(
            reader,
            10,
            1,
            2 + keyType,
            Buffer.concat([kafkaString(key), Buffer.from([keyType])]),
          );
          answer.int32(); // throttle_time_ms
          const errorCode = answer.int16();
          const errorMessage = answer.string();
          if (errorCode !== 0) {
            const kind = keyType === 0 ? 'group' : 'transaction';
            const name = KAFKA_ERRORS[errorCode] ?? `error code ${errorCode}`;
            throw new Error(
              `no ${kind} coordinator yet (${name}${errorMessage ? `: ${errorMessage}` : ''})`,
            );
          }
          coordinators.push(answer.int32());
        }
        return `cluster ${clusterId}, brokers ${brokers.join(' ')}, controller ${controllerId}, coordinators group=${coordinators[0]} transaction=${coordinators[1]}`;
      })(),
      timeoutMs,
      `kafka ${host}:${port}`,
    );
  } finally {
    reader.close();
  }
}

/** One attempt: resolves with a description when a broker of the list answers, rejects otherwise. */
export async function probeKafka(brokers, timeoutMs = 5000) {
  const errors = [];
  for (const address of brokers.split(',').filter((part) => part.trim() !== '')) {
    const { host, port } = splitHostPort(address, 9092);
    try {
      return await probeOneKafka(host, port, timeoutMs);
    } catch (error) {
      errors.push(
        error.message.startsWith('kafka ')
          ? error.message
          : `kafka ${host}:${port}: ${error.message}`,
      );
    }
  }
  throw new Error(errors.join('; ') || `kafka: no broker address in ${JSON.stringify(brokers)}`);
}

// ---------------------------------------------------------------- MQTT

function mqttConnectPacket(clientId) {
  const id = Buffer.from(clientId, 'utf8');
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 30]);
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const remaining = variable.length + payload.length; // always < 128 here
  return Buffer.concat([Buffer.from([0x10, remaining]), variable, payload]);
}

const MQTT_REFUSALS = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** One attempt: MQTT CONNECT (3.1.1, clean session) must be accepted. */
export async function probeMqtt(url, timeoutMs = 5000) {
  const parsed = new URL(url.includes('://') ? url : `mqtt://${url}`);
  const defaultPorts = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };
  const port = Number(parsed.port || defaultPorts[parsed.protocol] || 1883);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const reader = await connect(host, port, timeoutMs);
  try {
    if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') {
      return `${parsed.protocol}//${host}:${port} accepts TCP connections (protocol not probed)`;
    }
    return await withDeadline(
      (async () => {
        reader.write(mqttConnectPacket(`dstream-probe-${process.pid}-${Date.now() % 100000}`));
        const connack = await reader.read(4);
        if (connack[0] !== 0x20) {
          throw new Error(`expected CONNACK, got packet type 0x${connack[0].toString(16)}`);
        }
        if (connack[3] !== 0) {
          throw new Error(`connection refused (${MQTT_REFUSALS[connack[3]] ?? connack[3]})`);
        }
        reader.write(Buffer.from([0xe0, 0x00])); // DISCONNECT
        return `mqtt://${host}:${port} accepted an MQTT 3.1.1 connection`;
      })(),
      timeoutMs,
      `mqtt ${host}:${port}`,
    );
  } finally {
    reader.close();
  }
}

// ---------------------------------------------------------------- Pub/Sub

/** One attempt: the gRPC call Publisher/ListTopics must return grpc-status 0. */
export async function probePubsub(hostPort, timeoutMs = 5000) {
  const { host, port } = splitHostPort(hostPort.replace(/^https?:\/\//, ''), 8085);
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const socket = await openSocket(host, port, timeoutMs);
  const session = http2.connect(`http://${authority}`, { createConnection: () => socket });
  session.on('error', () => {}); // reported through the request below
  try {
    return await withDeadline(
      new Promise((resolve, reject) => {
        session.once('error', (error) =>
          reject(new Error(`pubsub ${authority}: ${error.code ?? error.message}`)),
        );
        const project = Buffer.from('projects/dstream-probe', 'utf8');
        const message = Buffer.concat([Buffer.from([0x0a, project.length]), project]);
        const frame = Buffer.alloc(5);
        frame.writeUInt32BE(message.length, 1);
        const request = session.request({
          ':method': 'POST',
          ':path': '/google.pubsub.v1.Publisher/ListTopics',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        let status;
        let statusMessage;
        const take = (headers) => {
          if (headers['grpc-status'] !== undefined) {
            status = Number(headers['grpc-status']);
            statusMessage = headers['grpc-message'];
          }
        };
        request.on('response', take);
        request.on('trailers', take);
        request.on('data', () => {});
        request.on('error', (error) =>
          reject(new Error(`pubsub ${authority}: ${error.code ?? error.message}`)),
        );
        request.on('close', () => {
          if (status === 0) resolve(`pubsub ${authority} answered ListTopics`);
          else
            reject(
              new Error(
                `pubsub ${authority}: ListTopics ended with grpc-status ${status ?? 'missing'}${
                  statusMessage ? ` (${decodeURIComponent(statusMessage)})` : ''
                }`,
              ),
            );
        });
        request.end(Buffer.concat([frame, message]));
      }),
      timeoutMs,
      `pubsub ${authority}`,
    );
  } finally {
    session.destroy();
  }
}

// ---------------------------------------------------------------- common

/** One attempt at the named broker; resolves with a description or rejects with the reason. */
export async function probe(name, address, timeoutMs = 5000) {
  const key = normalizeBrokerName(name);
  const target = address ?? brokerAddress(key);
  const attempt = { kafka: probeKafka, mqtt: probeMqtt, pubsub: probePubsub }[key];
  try {
    return await attempt(target, timeoutMs);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.startsWith(`${key} `) ? message : `${key} ${target}: ${message}`, {
      cause: error,
    });
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  try {
    // An exited child that its parent shell has not reaped yet is a zombie ("Z"): dead.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(pid, 0)
  }
}

/**
 * Retries `probe` until it succeeds or `timeoutMs` has passed. With `pid`, gives up at once
 * when that process has exited (the broker being waited for died while starting).
 */
export async function waitFor(name, address, { timeoutMs = 60000, intervalMs = 250, pid } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    if (pid !== undefined && !isAlive(pid)) {
      throw new Error(
        `process ${pid} exited before ${normalizeBrokerName(name)} answered${
          last ? ` (last attempt: ${last.message})` : ''
        }`,
      );
    }
    const remaining = deadline - Date.now();
    try {
      return await probe(name, address, Math.max(500, Math.min(5000, remaining)));
    } catch (error) {
      last = error;
    }
    if (Date.now() + intervalMs >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `${last?.message ?? 'no answer'} (gave up after ${Math.round(timeoutMs / 1000)} s)`,
  );
}

async function main(argv) {
  const args = [...argv];
  let timeoutSeconds = 0;
  let quiet = false;
  let pid;
  const positional = [];
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--timeout') timeoutSeconds = Number(args.shift());
    else if (arg === '--quiet') quiet = true;
    else if (arg === '--pid') pid = Number(args.shift());
    else positional.push(arg);
  }
  const [name, address] = positional;
  if (!name || !Number.isFinite(timeoutSeconds)) {
    process.stderr.write(
      'usage: node infra/lib/probes.mjs <kafka|mqtt|pubsub> [address] [--timeout SECONDS] [--pid PID] [--quiet]\n',
    );
    return 2;
  }
  try {
    const description =
      timeoutSeconds > 0
        ? await waitFor(name, address, { timeoutMs: timeoutSeconds * 1000, pid })
        : await probe(name, address, 3000);
    if (!quiet) process.stdout.write(`${description}\n`);
    return 0;
  } catch (error) {
    if (!quiet) process.stderr.write(`${error.message}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

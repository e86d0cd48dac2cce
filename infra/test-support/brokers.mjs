// Helpers for tests that talk to the real brokers started by infra/brokers.sh.
//
//   import { brokerAddresses, requireBroker, restartBroker } from '@dstream/infra/test-support/brokers';
//
//   const runKafka = await requireBroker('kafka', 'kafka sink');
//   describe.runIf(runKafka)('kafka sink', () => { ... });
//
// Outside CI a suite whose broker is not reachable is skipped with a loud message; under
// CI=true `requireBroker` throws, so a missing broker fails the run instead of hiding tests.

import { execFile } from 'node:child_process';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

import {
  ADDRESS_VARIABLES,
  DEFAULT_ADDRESSES,
  brokerAddress,
  normalizeBrokerName,
  probe,
  waitFor,
} from '../lib/probes.mjs';

const INFRA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BROKERS_SCRIPT = path.join(INFRA_DIR, 'brokers.sh');
/** Names of the brokers in infra/brokers.sh ("mqtt" is served by mosquitto). */
const SCRIPT_NAMES = { kafka: 'kafka', mqtt: 'mosquitto', pubsub: 'pubsub' };

/**
 * Addresses of the brokers, from KAFKA_BROKERS, MQTT_URL and PUBSUB_EMULATOR_HOST when set,
 * otherwise the local defaults of infra/brokers.sh.
 * @returns {{ kafka: string[], mqtt: string, pubsub: string }}
 */
export function brokerAddresses(env = process.env) {
  return {
    kafka: brokerAddress('kafka', env)
      .split(',')
      .map((address) => address.trim())
      .filter((address) => address !== ''),
    mqtt: brokerAddress('mqtt', env),
    pubsub: brokerAddress('pubsub', env),
  };
}

/** True when CI=true (or any value other than empty, "0" or "false"). */
export function isCI(env = process.env) {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false';
}

/**
 * Whether the broker answers its protocol's readiness check right now (one attempt).
 * @param {'kafka' | 'mqtt' | 'mosquitto' | 'pubsub'} name
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<boolean>}
 */
export async function isReachable(name, { timeoutMs = 3000 } = {}) {
  try {
    await probe(name, undefined, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides whether a suite that needs `name` runs. Resolves true when the broker answers.
 * Otherwise: under CI throws an error that fails the run; elsewhere prints
 * `[brokers] SKIPPING <suite>: <broker> not reachable at <address> — run pnpm brokers:up`
 * to stderr and resolves false.
 * @param {'kafka' | 'mqtt' | 'mosquitto' | 'pubsub'} name
 * @param {string} [suite] what is skipped, for the message (default: the broker's tests)
 * @returns {Promise<boolean>}
 */
export async function requireBroker(name, suite) {
  const key = normalizeBrokerName(name);
  const address = brokerAddress(key);
  let reason;
  try {
    await probe(key, address, 5000);
    return true;
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  const what = suite ?? `${key} tests`;
  const variable = ADDRESS_VARIABLES[key];
  if (isCI()) {
    throw new Error(
      `[brokers] ${what}: ${key} not reachable at ${address} under CI (${reason}). ` +
        `Start it with \`pnpm brokers:up\` (bash infra/brokers.sh up ${SCRIPT_NAMES[key]}) ` +
        `or point ${variable} at a running broker.`,
    );
  }
  process.stderr.write(
    `\n[brokers] SKIPPING ${what}: ${key} not reachable at ${address} — run pnpm brokers:up\n` +
      `[brokers]   (${reason}; set ${variable} to use another broker)\n\n`,
  );
  return false;
}

/**
 * Whether infra/brokers.sh manages this broker, i.e. its address is the local default, so
 * that `stopBroker`, `startBroker` and `restartBroker` can act on it.
 * @param {'kafka' | 'mqtt' | 'mosquitto' | 'pubsub'} name
 */
export function canControlBroker(name, env = process.env) {
  const key = normalizeBrokerName(name);
  const strip = (value) =>
    value
      .replace(/^(mqtt|tcp):\/\//, '')
      .replace(/\/$/, '')
      .replace(/^localhost:/, '127.0.0.1:');
  return strip(brokerAddress(key, env)) === strip(DEFAULT_ADDRESSES[key]);
}

function runScript(command, name, timeoutMs) {
  const key = normalizeBrokerName(name);
  if (!canControlBroker(key)) {
    const variable = ADDRESS_VARIABLES[key];
    return Promise.reject(
      new Error(
        `[brokers] cannot ${command} ${key}: ${variable}=${brokerAddress(key)} is a broker that ` +
          'infra/brokers.sh does not manage (check canControlBroker() before fault tests)',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [BROKERS_SCRIPT, command, SCRIPT_NAMES[key]],
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error) {
          reject(
            new Error(
              `[brokers] bash infra/brokers.sh ${command} ${SCRIPT_NAMES[key]} failed: ${error.message}\n${output}`,
            ),
          );
        } else {
          resolve(output);
        }
      },
    );
  });
}

/**
 * Stops the broker (SIGTERM, then SIGKILL after a grace period); its data is kept.
 * Resolves with the script's output.
 * @param {'kafka' | 'mqtt' | 'mosquitto' | 'pubsub'} name
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<string>}
 */
export function stopBroker(name, { timeoutMs = 120_000 } = {}) {
  return runScript('down', name, timeoutMs);
}

/**
 * Starts the broker and resolves once it answers (Kafka: up to 2 minutes).
 * @param {'kafka' | 'mqtt' | 'mosquitto' | 'pubsub'} name
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<string>}
 */
export function startBroker(name, { timeoutMs = 180_000 } = {}) {
  return runScript('up', name, timeoutMs);
}

/**
 * Stops then starts the broker, resolving once it answers again. Mosquitto keeps persistent
 * sessions and retained messages across a restart; the Pub/Sub fake keeps nothing.
 * @param {'kafka' | 'mqtt' | 'mosquitto' | 'pubsub'} name
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<string>}
 */
export function restartBroker(name, { timeoutMs = 240_000 } = {}) {
  return runScript('restart', name, timeoutMs);
}

/**
 * Points @google-cloud/pubsub clients created afterwards at the Pub/Sub fake: sets
 * PUBSUB_EMULATOR_HOST (to its current value or the default) and, unless already set,
 * METADATA_SERVER_DETECTION=none, without which google-auth-library probes the GCE metadata
 * server at 169.254.169.254, a network address off this machine. Returns the host:port.
 * @returns {string}
 */
export function usePubsubEmulator() {
  const host = brokerAddress('pubsub');
  process.env.PUBSUB_EMULATOR_HOST = host;
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  return host;
}

/**
 * Waits until the broker answers, e.g. after a fault test started it by other means.
 * @param {'kafka' | 'mqtt' | 'mosquitto' | 'pubsub'} name
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<string>} a description of what answered
 */
export function waitForBroker(name, { timeoutMs = 60_000 } = {}) {
  return waitFor(name, undefined, { timeoutMs });
}

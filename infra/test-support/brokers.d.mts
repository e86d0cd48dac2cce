/** A broker of infra/brokers.sh; "mosquitto" is accepted as another name for "mqtt". */
export type BrokerName = 'kafka' | 'mqtt' | 'mosquitto' | 'pubsub';

export interface BrokerAddresses {
  /** From KAFKA_BROKERS (comma-separated), default ["127.0.0.1:9092"]. */
  kafka: string[];
  /** From MQTT_URL, default "mqtt://127.0.0.1:1883". */
  mqtt: string;
  /** From PUBSUB_EMULATOR_HOST, default "127.0.0.1:8085". */
  pubsub: string;
}

/** Addresses of the brokers, from the environment variables or the local defaults. */
export function brokerAddresses(env?: Record<string, string | undefined>): BrokerAddresses;

/** True when CI is set to anything other than empty, "0" or "false". */
export function isCI(env?: Record<string, string | undefined>): boolean;

/** Whether the broker answers its protocol's readiness check right now (one attempt). */
export function isReachable(name: BrokerName, options?: { timeoutMs?: number }): Promise<boolean>;

/**
 * Resolves true when the broker answers. Otherwise throws under CI, and elsewhere prints
 * `[brokers] SKIPPING <suite>: <broker> not reachable at <address> — run pnpm brokers:up`
 * and resolves false. Use with `describe.runIf(await requireBroker('kafka', 'kafka sink'))`.
 */
export function requireBroker(name: BrokerName, suite?: string): Promise<boolean>;

/** Whether infra/brokers.sh manages the broker (its address is the local default). */
export function canControlBroker(
  name: BrokerName,
  env?: Record<string, string | undefined>,
): boolean;

/** Stops the broker; its data is kept. Resolves with the script's output. */
export function stopBroker(name: BrokerName, options?: { timeoutMs?: number }): Promise<string>;

/** Starts the broker and resolves once it answers. */
export function startBroker(name: BrokerName, options?: { timeoutMs?: number }): Promise<string>;

/** Stops then starts the broker and resolves once it answers again. */
export function restartBroker(name: BrokerName, options?: { timeoutMs?: number }): Promise<string>;

/**
 * Points @google-cloud/pubsub clients created afterwards at the Pub/Sub fake: sets
 * PUBSUB_EMULATOR_HOST and (unless set) METADATA_SERVER_DETECTION=none, which stops
 * google-auth-library from probing the GCE metadata server. Returns the host:port.
 */
export function usePubsubEmulator(): string;

/** Waits until the broker answers; resolves with a description of what answered. */
export function waitForBroker(name: BrokerName, options?: { timeoutMs?: number }): Promise<string>;

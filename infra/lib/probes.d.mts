export type ProbeName = 'kafka' | 'mqtt' | 'mosquitto' | 'pubsub';

export const DEFAULT_ADDRESSES: Readonly<{ kafka: string; mqtt: string; pubsub: string }>;
export const ADDRESS_VARIABLES: Readonly<{
  kafka: 'KAFKA_BROKERS';
  mqtt: 'MQTT_URL';
  pubsub: 'PUBSUB_EMULATOR_HOST';
}>;
export const BROKER_NAMES: readonly ['kafka', 'mqtt', 'pubsub'];

export function normalizeBrokerName(name: string): 'kafka' | 'mqtt' | 'pubsub';
export function brokerAddress(name: ProbeName, env?: Record<string, string | undefined>): string;

/** One Kafka attempt: Metadata lists a broker, group and transaction coordinators are found. */
export function probeKafka(brokers: string, timeoutMs?: number): Promise<string>;
/** One MQTT attempt: an MQTT 3.1.1 CONNECT is accepted. */
export function probeMqtt(url: string, timeoutMs?: number): Promise<string>;
/** One Pub/Sub attempt: the gRPC call Publisher/ListTopics returns OK. */
export function probePubsub(hostPort: string, timeoutMs?: number): Promise<string>;

/** One attempt at the named broker (address defaults to the environment's). */
export function probe(name: ProbeName, address?: string, timeoutMs?: number): Promise<string>;

/** Retries `probe` until it succeeds, `timeoutMs` passes, or process `pid` exits. */
export function waitFor(
  name: ProbeName,
  address?: string,
  options?: { timeoutMs?: number; intervalMs?: number; pid?: number },
): Promise<string>;

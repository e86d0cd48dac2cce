import { brokerAddresses, isReachable } from '../../../infra/test-support/brokers.mjs';

/** The brokers the connector benchmarks use, as infra/brokers.sh names them. */
export type BenchmarkBroker = 'kafka' | 'mqtt' | 'pubsub';

const SCRIPT_NAMES: Record<BenchmarkBroker, string> = {
  kafka: 'kafka',
  mqtt: 'mosquitto',
  pubsub: 'pubsub',
};

/** The address of a broker: KAFKA_BROKERS, MQTT_URL, PUBSUB_EMULATOR_HOST or the local defaults. */
export function addressOf(broker: BenchmarkBroker): string {
  const addresses = brokerAddresses();
  return broker === 'kafka' ? addresses.kafka.join(',') : addresses[broker];
}

/**
 * Why a connector benchmark cannot run, or `undefined` when its broker answers. Benchmarks are
 * not tests: a missing broker skips the benchmark with this message, even under CI.
 */
export async function brokerUnavailable(broker: BenchmarkBroker): Promise<string | undefined> {
  if (await isReachable(broker, { timeoutMs: 5000 })) return undefined;
  return `${broker} is not reachable at ${addressOf(broker)}: start it with \`bash infra/brokers.sh up ${SCRIPT_NAMES[broker]}\` (or pnpm brokers:up)`;
}

/**
 * Loads a connector package, or says why it cannot be loaded (not built yet, or missing).
 */
export async function loadConnector<T>(
  name: string,
  load: () => Promise<T>,
): Promise<{ readonly module: T } | { readonly problem: string }> {
  try {
    return { module: await load() };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      problem: `${name} cannot be loaded (${reason}): build it with \`pnpm --filter ${name} build\``,
    };
  }
}

/** A name no other run uses, for topics, groups, subscriptions and client ids. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** `error` as an Error, to rethrow what a client or the engine reported. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

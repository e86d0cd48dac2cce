import { ConfigurationError, requireNonEmptyString } from '@dstream/core';
import { PubSub, type ClientConfig } from '@google-cloud/pubsub';

/** How a connector reaches Pub/Sub: a client to share, or the settings to create its own. */
export interface PubsubClientOptions {
  /** The Google Cloud project (default: the client's, from `GOOGLE_CLOUD_PROJECT` or the credentials). */
  readonly projectId?: string;
  /** A client to use (and leave open); otherwise the connector creates one and closes it when done. */
  readonly pubsub?: PubSub;
  /**
   * Settings for the client the connector creates (credentials, `apiEndpoint`, …). With
   * `PUBSUB_EMULATOR_HOST` set, the client talks to that emulator.
   */
  readonly clientConfig?: ClientConfig;
}

/** Fails unless the client settings are usable, naming the option at fault. */
export function validateClientOptions(options: PubsubClientOptions): void {
  if (options.pubsub !== undefined && !(options.pubsub instanceof PubSub)) {
    throw new ConfigurationError(
      'pubsub',
      options.pubsub,
      'expected a PubSub client from @google-cloud/pubsub',
    );
  }
  if (options.projectId !== undefined) requireNonEmptyString('projectId', options.projectId);
  if (
    options.clientConfig !== undefined &&
    (options.clientConfig === null || typeof options.clientConfig !== 'object')
  ) {
    throw new ConfigurationError(
      'clientConfig',
      options.clientConfig,
      'expected an object of PubSub client settings',
    );
  }
}

/** Validated client settings; {@link open} returns the client to use. */
export class PubsubClientHandle {
  private client: PubSub | undefined;

  constructor(private readonly options: PubsubClientOptions) {
    validateClientOptions(options);
  }

  /** The client: the one given, or one created on first use. */
  open(): PubSub {
    if (this.options.pubsub !== undefined) return this.options.pubsub;
    this.client ??= new PubSub({
      ...this.options.clientConfig,
      ...(this.options.projectId === undefined ? {} : { projectId: this.options.projectId }),
    });
    return this.client;
  }

  /** The project id in use, once known. */
  get projectId(): string | undefined {
    const projectId = this.options.projectId ?? (this.options.pubsub ?? this.client)?.projectId;
    return projectId === undefined || projectId.includes('{{') ? undefined : projectId;
  }

  /** Closes the client if the connector created it. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }
}

/** The full resource name of a subscription or topic, for messages: `projects/<project>/<kind>/<name>`. */
export function fullName(
  kind: 'subscriptions' | 'topics',
  name: string,
  projectId: string | undefined,
): string {
  if (name.startsWith('projects/')) return name;
  return `projects/${projectId ?? '<default project>'}/${kind}/${name}`;
}

import type { Logger } from '@dstream/core';
import {
  connect,
  type IClientOptions,
  type IClientSubscribeOptions,
  type IConnackPacket,
  type IDisconnectPacket,
  type IPublishPacket,
  type ISubscriptionMap,
  type MqttClient,
  type Packet,
} from 'mqtt';
import { DeferredAcknowledgements, NO_ACKNOWLEDGEMENT } from './deferred-acknowledgements.js';
import { MqttError, messageOf } from './mqtt-error.js';
import { MAX_PENDING_MESSAGES, type ResolvedMqttStreamOptions } from './mqtt-stream-options.js';

/** What a session tells its receiver. */
export interface MqttSessionHandlers {
  /** A connection is up and its subscriptions are requested. */
  connected(sessionPresent: boolean): void;
  /**
   * Reliable receivers: a message arrived on the current connection. A receiver that accepts it
   * takes its acknowledgement token from `session.acknowledgements`; one that does not leaves it
   * unacknowledged, for the broker to redeliver.
   */
  published(session: MqttSession, packet: IPublishPacket): void;
  /** Unreliable receivers: a message arrived; call `next` when the client may read the next one. */
  message(packet: IPublishPacket, next: () => void): void;
  /** The connection failed, dropped or a subscription was refused; the session keeps retrying. */
  error(error: MqttError): void;
}

/**
 * One MQTT client of a receiver: connects, subscribes on every connection that needs it,
 * reconnects with exponential backoff, and for reliable receivers defers acknowledgements
 * through {@link DeferredAcknowledgements}.
 */
export class MqttSession {
  readonly client: MqttClient;
  /** Present for reliable receivers. */
  readonly acknowledgements: DeferredAcknowledgements | undefined;
  /** Connections made so far. */
  connections = 0;
  private wasConnected = false;
  private closing: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nextReconnectDelay: number;

  constructor(
    private readonly options: ResolvedMqttStreamOptions<unknown>,
    private readonly handlers: MqttSessionHandlers,
    private readonly logger: Logger,
  ) {
    this.nextReconnectDelay = options.reconnectDelay;
    this.client = connect(options.url, clientOptionsOf(options));
    const client = this.client;
    if (options.reliable) {
      this.acknowledgements = new DeferredAcknowledgements(
        client,
        Math.max(options.maxInflight, MAX_PENDING_MESSAGES),
        options.broker,
      );
      client.on('packetreceive', (packet: Packet) => this.onPacket(packet));
    } else {
      client.handleMessage = (packet, callback) => handlers.message(packet, callback);
    }
    client.on('connect', (connack) => this.onConnect(connack));
    client.on('close', () => this.onClose());
    client.on('error', (error) => this.onError(error));
    client.on('disconnect', (packet) => this.onDisconnect(packet));
  }

  /** Whether the client is connected now. */
  get connected(): boolean {
    return this.client.connected;
  }

  /** The acknowledgement token of a message this receiver accepts ({@link NO_ACKNOWLEDGEMENT} for QoS 0). */
  take(packet: IPublishPacket): number {
    return packet.qos > 0 ? this.acknowledgements!.take(packet.messageId ?? 0) : NO_ACKNOWLEDGEMENT;
  }

  /** Releases the acknowledgement behind `token` if it belongs to this session's current connection. */
  release(token: number): boolean {
    return this.acknowledgements !== undefined && this.acknowledgements.release(token);
  }

  /** Stops reading packets after the message being handled; see {@link DeferredAcknowledgements.pauseReading}. */
  pauseReading(): void {
    this.acknowledgements?.pauseReading();
  }

  /** Reads packets again. */
  resumeReading(): void {
    this.acknowledgements?.resumeReading();
  }

  /** Messages taken on the current connection and not yet acknowledged. */
  get inFlight(): number {
    return this.acknowledgements?.inFlight ?? 0;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Disconnects: gracefully (acknowledgements already written reach the broker before the
   * DISCONNECT) or, with `force`, by dropping the connection. Safe to call twice.
   */
  close(force = false): Promise<void> {
    if (this.closing !== undefined) {
      if (force) this.client.end(true);
      return this.closing;
    }
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.end(true);
        resolve();
      }, this.options.connectTimeout);
      timer.unref();
      this.client.end(force, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.closing;
  }

  private onPacket(packet: Packet): void {
    if (packet.cmd !== 'publish' || this.closing !== undefined) return;
    // A packet still queued from a connection that dropped: the broker redelivers it.
    if (!this.acknowledgements!.connected) return;
    this.handlers.published(this, packet);
  }

  private onConnect(connack: IConnackPacket): void {
    this.connections++;
    this.wasConnected = true;
    this.nextReconnectDelay = this.options.reconnectDelay;
    this.acknowledgements?.beginConnection();
    const sessionPresent = connack.sessionPresent;
    this.logger.info(
      { broker: this.options.broker, clientId: this.options.clientId, sessionPresent },
      'Connected to MQTT broker',
    );
    // MQTT 5 subscribes on every connection (retain handling 1: no retained copies for an existing
    // subscription); MQTT 3.1.1 only when the broker lost the session, as resubscribing would
    // resend retained messages.
    if (!sessionPresent || this.options.protocolVersion === 5) this.subscribe();
    this.handlers.connected(sessionPresent);
  }

  private subscribe(): void {
    const subscriptions: ISubscriptionMap = {};
    for (const topic of this.options.topics) {
      const subscription: IClientSubscribeOptions = { qos: this.options.qos };
      if (this.options.protocolVersion === 5) subscription.rh = 1;
      subscriptions[topic] = subscription;
    }
    this.client.subscribe(subscriptions, (error, granted) => {
      if (this.closing !== undefined) return;
      const refused = (granted ?? [])
        .filter((grant) => (grant.qos & 0x80) !== 0)
        .map((grant) => grant.topic);
      if (error === null && refused.length === 0) return;
      if (refused.length === 0 && !this.client.connected) return; // the connection dropped; resubscribed on the next one
      const topics = refused.length > 0 ? refused : this.options.topics;
      this.handlers.error(
        new MqttError(
          'MQTT_SUBSCRIBE_FAILED',
          this.options.broker,
          `Broker ${this.options.broker} refused the subscription to ${topics.join(', ')} of client ${this.options.clientId}: ${error === null ? 'refused' : error.message}`,
          { topic: topics.join(', '), cause: error ?? undefined },
        ),
      );
    });
  }

  private onClose(): void {
    this.acknowledgements?.endConnection();
    if (this.closing !== undefined) return;
    if (this.wasConnected) {
      this.wasConnected = false;
      this.handlers.error(
        new MqttError(
          'MQTT_CONNECTION_LOST',
          this.options.broker,
          `Lost the connection to MQTT broker ${this.options.broker} (client ${this.options.clientId}); reconnecting`,
        ),
      );
    }
    const delay = this.nextReconnectDelay;
    this.nextReconnectDelay = Math.min(delay * 2, this.options.maxReconnectDelay);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing === undefined) this.client.reconnect();
    }, delay);
  }

  private onError(error: Error): void {
    if (this.closing !== undefined) return;
    this.handlers.error(
      new MqttError(
        this.client.connected ? 'MQTT_CONNECTION_LOST' : 'MQTT_CONNECTION_FAILED',
        this.options.broker,
        `MQTT broker ${this.options.broker} (client ${this.options.clientId}): ${messageOf(error)}`,
        { cause: error },
      ),
    );
  }

  private onDisconnect(packet: IDisconnectPacket): void {
    if (this.closing !== undefined) return;
    this.logger.warn(
      { broker: this.options.broker, reasonCode: packet.reasonCode },
      'MQTT broker sent DISCONNECT',
    );
  }
}

/** The mqtt.js settings of a receiver's client. */
function clientOptionsOf(options: ResolvedMqttStreamOptions<unknown>): IClientOptions {
  const v5 = options.protocolVersion === 5;
  const properties: IClientOptions['properties'] = v5
    ? { ...options.clientOptions.properties }
    : undefined;
  // No Receive Maximum is sent: the broker's own in-flight limit applies (Mosquitto's
  // max_inflight_messages; a client's Receive Maximum overrides it), and mqtt.js 5 was seen to
  // drop QoS 2 connections to Mosquitto with "Receive Maximum exceeded" when one was advertised.
  if (properties !== undefined && options.reliable)
    properties.sessionExpiryInterval = options.sessionExpiryInterval;
  return {
    ...options.clientOptions,
    clientId: options.clientId,
    protocolVersion: options.protocolVersion,
    clean: !options.reliable,
    keepalive: options.keepalive,
    connectTimeout: options.connectTimeout,
    reconnectPeriod: 0,
    resubscribe: false,
    username: options.username,
    password: options.password,
    properties,
  };
}

import type { MqttClient, Packet } from 'mqtt';
import { MqttError } from './mqtt-error.js';

type SendPacket = (packet: Packet, callback?: (error?: Error) => void, ...rest: unknown[]) => void;

/** Packet identifiers are 16-bit: a token packs the connection number above them. */
const PACKET_ID_RANGE = 0x10000;

/** The token of a message that needs no acknowledgement (QoS 0). */
export const NO_ACKNOWLEDGEMENT = -1;

/**
 * Holds back the PUBACK (QoS 1) and PUBREC (QoS 2) that mqtt.js sends for every message it
 * receives, until the engine says the message is stored (or processed), without stopping the
 * client from reading further messages.
 *
 * mqtt.js hands incoming messages over one at a time: its documented hooks for deferring an
 * acknowledgement (`handleMessage`, `customHandleAcks`) also hold back every later packet, so a
 * block could never hold more than one unacknowledged message. Instead, this wraps the client's
 * packet writer: acknowledgements of received messages are parked by packet identifier and
 * written when released, while the client goes on reading. A token identifies a message on one
 * connection: acknowledging on a later connection would be meaningless, so a token of an earlier
 * connection is dropped (the broker redelivers that message in the resumed session).
 *
 * The client's reading pauses while {@link pauseReading} is in force (the engine is behind) and,
 * as a safety net for brokers that do not honour their in-flight limit, while more than `limit`
 * acknowledgements are held.
 */
export class DeferredAcknowledgements {
  private static connectionSequence = 0;
  /** The current connection's number, or -1 between connections. */
  private connection = -1;
  /** Acknowledgements mqtt.js has written for received messages, waiting for release. */
  private readonly held = new Map<number, Packet>();
  /** Messages released before mqtt.js produced their acknowledgement. */
  private readonly releasedEarly = new Set<number>();
  /** Messages of the current connection taken and not yet released. */
  private unreleased = 0;
  private paused: (() => void) | undefined;
  private pauseRequested = false;
  private readonly send: SendPacket;

  constructor(
    private readonly client: MqttClient,
    private readonly limit: number,
    broker: string,
  ) {
    const internals = client as unknown as { _sendPacket?: SendPacket };
    const send = internals._sendPacket;
    if (typeof send !== 'function') {
      throw new MqttError(
        'MQTT_CLIENT_UNSUPPORTED',
        broker,
        'The installed mqtt.js has no packet writer to defer acknowledgements with; use the mqtt version this package depends on',
      );
    }
    this.send = send;
    internals._sendPacket = (packet, callback, ...rest) => {
      if (packet.cmd === 'puback' || packet.cmd === 'pubrec') {
        // Between connections an acknowledgement is dropped rather than queued for the next one.
        if (this.connection < 0) callback?.();
        else this.hold(packet, packet.messageId ?? 0, callback);
        return;
      }
      send.call(client, packet, callback, ...rest);
    };
  }

  /** Messages taken on the current connection and not yet released: what the broker counts as in flight. */
  get inFlight(): number {
    return this.unreleased;
  }

  /** Whether a connection is up, so that received messages can be taken. */
  get connected(): boolean {
    return this.connection >= 0;
  }

  /** A new connection is up: tokens of earlier ones no longer apply. */
  beginConnection(): void {
    this.reset();
    this.connection = DeferredAcknowledgements.connectionSequence++;
  }

  /** The connection dropped: whatever was held is moot, the broker redelivers it in the resumed session. */
  endConnection(): void {
    this.reset();
    this.connection = -1;
  }

  /** The token of a message with packet identifier `messageId` received on the current connection. */
  take(messageId: number): number {
    this.unreleased++;
    return this.connection * PACKET_ID_RANGE + messageId;
  }

  /** Whether `token` belongs to the current connection of this client. */
  owns(token: number): boolean {
    return token >= 0 && Math.floor(token / PACKET_ID_RANGE) === this.connection;
  }

  /**
   * Stops the client from reading further packets once it has handed over the message being
   * handled (its acknowledgement is held): the broker and the socket then hold the rest.
   */
  pauseReading(): void {
    this.pauseRequested = true;
  }

  /** Lets the client read again after {@link pauseReading}. */
  resumeReading(): void {
    this.pauseRequested = false;
    this.resumeIfAllowed();
  }

  /** Writes the acknowledgement of the message behind `token` (now, or once mqtt.js produces it). */
  release(token: number): boolean {
    if (!this.owns(token)) return false;
    const messageId = token % PACKET_ID_RANGE;
    this.unreleased--;
    const packet = this.held.get(messageId);
    if (packet === undefined) {
      this.releasedEarly.add(messageId);
    } else {
      this.held.delete(messageId);
      if (this.client.connected) this.send.call(this.client, packet);
    }
    this.resumeIfAllowed();
    return true;
  }

  private resumeIfAllowed(): void {
    if (this.paused === undefined || this.pauseRequested || this.held.size > this.limit) return;
    const resume = this.paused;
    this.paused = undefined;
    resume();
  }

  private hold(
    packet: Packet,
    messageId: number,
    callback: ((error?: Error) => void) | undefined,
  ): void {
    if (this.releasedEarly.delete(messageId)) {
      this.send.call(this.client, packet, callback);
      return;
    }
    this.held.set(messageId, packet);
    if (callback === undefined) return;
    if (this.pauseRequested || this.held.size > this.limit) this.paused = callback;
    else callback();
  }

  private reset(): void {
    this.held.clear();
    this.releasedEarly.clear();
    this.unreleased = 0;
    this.pauseRequested = false;
    const resume = this.paused;
    this.paused = undefined;
    resume?.();
  }
}

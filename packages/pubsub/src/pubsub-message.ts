/** One message pulled from a subscription: a record of a Pub/Sub stream. */
export interface PubsubMessage<T> {
  /** The message id the service assigned when it was published. */
  readonly id: string;
  /** The decoded payload. */
  readonly data: T;
  /** The attributes the publisher set (an empty object when none). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The ordering key, or `''` when the message has none. */
  readonly orderingKey: string;
  /** When the service received the publication, in milliseconds since the epoch. */
  readonly publishTime: number;
  /** How many times it was delivered, when the subscription has a dead-letter policy (else 0). */
  readonly deliveryAttempt: number;
}

import type { OpenSession, Session } from './sessionization.js';

/** A message for the transactional Kafka sink: topic, key (the user) and value (JSON or a tombstone). */
export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string;
  /** JSON, or `null` for a tombstone that removes the key from a compacted topic. */
  readonly value: string | null;
}

/** A finished session for the sessions topic. */
export function sessionMessage(topic: string): (session: Session) => OutgoingMessage {
  return (session) => ({ topic, key: session.user, value: JSON.stringify(session) });
}

/** An open session for the state topic. */
export function openSessionMessage(
  topic: string,
): (entry: readonly [string, OpenSession]) => OutgoingMessage {
  return ([user, session]) => ({ topic, key: user, value: JSON.stringify(session) });
}

/** The removal of a user's open session from the state topic. */
export function tombstoneMessage(topic: string): (user: string) => OutgoingMessage {
  return (user) => ({ topic, key: user, value: null });
}

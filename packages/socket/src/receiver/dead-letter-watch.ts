import type { Receiver, RecordDecoding } from '@dstream/core';
import { messageOf, SocketError } from '../socket-error.js';

/**
 * Reports a dead-letter sink that fails through the receiver, rather than leaving its rejection
 * unhandled; nothing to do under other policies.
 */
export function watchDeadLetters(
  receiver: Receiver<unknown> & { readonly address: string },
  decoding: RecordDecoding<unknown>,
): void {
  if (typeof decoding.policy !== 'object') return;
  decoding.pendingDeadLetters().catch((error: unknown) => {
    receiver.reportError(
      new SocketError(
        'DEAD_LETTER_FAILED',
        receiver.address,
        `Cannot write an undecodable record from ${receiver.address} to the dead-letter sink: ${messageOf(error)}`,
        { cause: error },
      ),
    );
  });
}

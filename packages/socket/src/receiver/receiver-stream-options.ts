import type { ReceiverStreamOptions } from '@dstream/core';

/** The receiver-stream options for a socket stream's `maxRate` option. */
export function receiverStreamOptions(maxRate: number | undefined): ReceiverStreamOptions {
  return maxRate === undefined ? {} : { maxRate };
}

import type { BatchInfo, StreamingListener } from '@dstream/core';

/** A listener that writes one status line per completed batch, made by `format`. */
export function statusLineListener(
  write: (line: string) => void,
  format: (batchInfo: BatchInfo) => string,
): StreamingListener {
  return {
    onBatchCompleted({ batchInfo }: { readonly batchInfo: BatchInfo }) {
      write(format(batchInfo));
    },
  };
}

import type { Logger, StreamingContext } from '@dstream/core';

/**
 * Logs every completed batch that held records (time, records, processing time, failure) to
 * the child's log, so that a run's `child.log` shows how far each child got before its kill.
 */
export function logBatchProgress(ssc: StreamingContext, logger: Logger): void {
  ssc.addListener({
    onBatchCompleted: ({ batchInfo }) => {
      const failures = [...batchInfo.outputOperationInfos.values()]
        .map((output) => output.failureReason)
        .filter((reason) => reason !== undefined);
      if (batchInfo.numRecords === 0 && failures.length === 0) return;
      logger.info(
        {
          batchTime: batchInfo.batchTime,
          records: batchInfo.numRecords,
          processingDelay: batchInfo.processingDelay,
          ...(failures.length > 0 ? { failures } : {}),
        },
        'Batch completed',
      );
    },
  });
}

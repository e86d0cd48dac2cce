import { flushDeadLettersAtBatch } from '../decoding/dead-letter-channel.js';
import {
  collectDecodeFailures,
  type UnreportedDecodeFailures,
} from '../decoding/decode-failure-ledger.js';
import type { DStreamGraph } from '../dstream/dstream-graph.js';
import { childLogger, type Logger } from '../util/logger.js';
import type { InputInfoTracker } from './input-info-tracker.js';

/**
 * Once per batch: adds the decoding failures of every input stream since the previous batch to
 * the batch's input infos, logs one summary per stream (how many records were skipped or
 * dead-lettered, and the first error), and writes the dead letters waiting in every channel
 * under the batch's time (the promise resolves once they are written; write failures go to the
 * letters' decoders). Failures of decoders that do not know their stream are logged
 * through the decoder's own logger.
 */
export function reportDecodeFailures(
  time: number,
  graph: DStreamGraph,
  inputInfos: InputInfoTracker | undefined,
  logger: Logger,
): Promise<void> {
  const collected = collectDecodeFailures();
  if (collected.length > 0) {
    const perStream = new Map<number, UnreportedDecodeFailures>();
    for (const failures of collected) {
      const streamId = failures.streamId;
      if (streamId === undefined) {
        logSummary(failures.logger, time, undefined, failures);
        continue;
      }
      const before = perStream.get(streamId);
      perStream.set(
        streamId,
        before === undefined
          ? failures
          : {
              ...before,
              skipped: before.skipped + failures.skipped,
              deadLettered: before.deadLettered + failures.deadLettered,
            },
      );
    }
    for (const [streamId, failures] of perStream) {
      inputInfos?.addDecodeFailures(time, streamId, failures);
      const stream = graph.inputStreams.find((input) => input.id === streamId);
      const name = stream === undefined ? `input stream ${streamId}` : stream.describe();
      logSummary(childLogger(logger, { stream: name, streamId }), time, name, failures);
    }
  }
  return flushDeadLettersAtBatch();
}

function logSummary(
  logger: Logger,
  time: number,
  stream: string | undefined,
  failures: UnreportedDecodeFailures,
): void {
  const who = stream === undefined ? '' : `Stream ${stream}: `;
  const what: string[] = [];
  if (failures.skipped > 0) what.push(`skipped ${failures.skipped}`);
  if (failures.deadLettered > 0) what.push(`dead-lettered ${failures.deadLettered}`);
  const message = `${who}${what.join(' and ')} record(s) that could not be decoded, up to the batch at ${time} ms; first error: ${failures.firstError} (${failures.firstSource})`;
  const fields = {
    batchTime: time,
    skipped: failures.skipped,
    deadLettered: failures.deadLettered,
  };
  if (failures.skipped > 0) logger.warn(fields, capitalize(message));
  else logger.info(fields, capitalize(message));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

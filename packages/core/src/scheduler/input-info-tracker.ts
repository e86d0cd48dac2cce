import type { DecodeFailureSummary } from '../decoding/decode-failure-ledger.js';
import type { StreamInputInfo } from '../listener/batch-info.js';

/** What each input stream contributed to each batch, until the batch is done with. */
export class InputInfoTracker {
  private readonly infos = new Map<number, Map<number, StreamInputInfo>>();

  report(time: number, info: StreamInputInfo): void {
    let perStream = this.infos.get(time);
    if (perStream === undefined) {
      perStream = new Map();
      this.infos.set(time, perStream);
    }
    perStream.set(info.streamId, info);
  }

  /** Adds decoding failures to a stream's input of the batch at `time` (created if missing). */
  addDecodeFailures(time: number, streamId: number, failures: DecodeFailureSummary): void {
    const info = this.infos.get(time)?.get(streamId);
    const before = info?.decodeFailures;
    this.report(time, {
      streamId,
      numRecords: info?.numRecords ?? 0,
      metadata: info?.metadata ?? {},
      decodeFailures: {
        skipped: (before?.skipped ?? 0) + failures.skipped,
        deadLettered: (before?.deadLettered ?? 0) + failures.deadLettered,
      },
    });
  }

  infoOf(time: number): ReadonlyMap<number, StreamInputInfo> {
    return this.infos.get(time) ?? new Map();
  }

  cleanup(beforeTime: number): void {
    for (const time of this.infos.keys()) if (time < beforeTime) this.infos.delete(time);
  }
}

import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeadLetterRecord, Sink } from '@dstream/core';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A dead-letter sink for a stream's `onDecodeError: deadLetter(log)`: counts the messages that
 * could not be decoded and appends each one to a JSON-lines file with its source (such as the
 * topic), the reason and the payload (as text when it is UTF-8, else base64). A reliable stream
 * acknowledges a malformed message to the broker only once it is written here, so none is lost;
 * one may be written twice after a crash.
 */
export class MalformedMessageLog implements Sink<DeadLetterRecord> {
  readonly guarantee = 'at-least-once' as const;
  readonly name = 'malformed messages';
  private countValue = 0;
  private handle: FileHandle | undefined;

  /** @param path The file to write, replaced when the log opens; `undefined` only counts. */
  constructor(readonly path: string | undefined) {}

  /** Malformed messages written so far. */
  get count(): number {
    return this.countValue;
  }

  async open(): Promise<void> {
    if (this.path === undefined || this.handle !== undefined) return;
    await mkdir(dirname(this.path), { recursive: true });
    this.handle = await open(this.path, 'w');
  }

  async write(records: readonly DeadLetterRecord[]): Promise<void> {
    let text = '';
    for (const record of records) {
      text +=
        JSON.stringify({
          time: new Date(record.time).toISOString(),
          source: record.source,
          error: record.error,
          ...payloadOf(record.payload),
        }) + '\n';
    }
    if (this.handle !== undefined) await this.handle.write(text);
    this.countValue += records.length;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

function payloadOf(payload: Buffer): { payload: string } | { payloadBase64: string } {
  try {
    return { payload: utf8.decode(payload) };
  } catch {
    return { payloadBase64: payload.toString('base64') };
  }
}

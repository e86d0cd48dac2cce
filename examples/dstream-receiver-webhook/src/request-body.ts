import type { IncomingMessage } from 'node:http';

/** Why a body could not be read: too large, or the client went away. */
export type BodyFailure = 'too-large' | 'aborted';

/**
 * Reads a request body up to `maxBytes`. Resolves with the bytes, or with the reason it could
 * not: a body over the limit stops being buffered at once.
 */
export function readBody(
  request: IncomingMessage,
  maxBytes: number,
): Promise<Buffer | BodyFailure> {
  return new Promise((resolve) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Buffer | BodyFailure): void => {
      if (done) return;
      done = true;
      resolve(result);
    };
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish('too-large');
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => finish(Buffer.concat(chunks, size)));
    request.once('aborted', () => finish('aborted'));
    request.once('error', () => finish('aborted'));
  });
}

/** The non-empty lines of `body` (a `\r` before a newline is dropped), as views of it. */
export function splitLines(body: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = body.indexOf(10, start);
    const stop = end === -1 ? body.length : end;
    const trimmed = stop > start && body[stop - 1] === 13 ? stop - 1 : stop;
    if (trimmed > start) lines.push(body.subarray(start, trimmed));
    if (end === -1) return lines;
    start = end + 1;
  }
}

/**
 * Cuts the bytes of one connection into frames (lines, length-prefixed payloads). Data is
 * pushed as it arrives; {@link drain} hands complete frames over until the consumer asks to
 * pause, keeping the rest, so a paused receiver holds at most what it already read.
 */
export interface RecordFramer<F> {
  /** Forgets everything buffered: a new connection starts. */
  reset(): void;
  /** Adds bytes read from the connection. */
  push(chunk: Buffer): void;
  /**
   * Hands complete frames to `emit` until it returns `false` (the consumer must pause) or the
   * buffered data runs out. Returns `true` when everything buffered was handled.
   */
  drain(emit: (frame: F) => boolean): boolean;
  /** The connection ended cleanly: hands over what remains, when the framing allows. */
  finish(emit: (frame: F) => boolean): void;
  /**
   * Bytes of a frame that began but is not complete (0 when none): what is lost when the
   * connection ends now. Frames already reported and being skipped do not count.
   */
  incompleteBytes(): number;
}

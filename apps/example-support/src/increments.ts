/**
 * Turns a running total (such as the malformed messages so far) into what each status line
 * shows: the increase since the previous one.
 */
export class Increments {
  private reported = 0;

  /** The increase of `total` since the previous call. */
  since(total: number): number {
    const increase = total - this.reported;
    this.reported = total;
    return increase;
  }
}

/** The message a child sends the kill loop once its streaming context has started. */
export const RUNNING_MESSAGE = 'running';

/**
 * Tells the kill loop (over the IPC channel it opens) that the child's streaming context has
 * started, so that its final child is only asked to stop gracefully once it can.
 */
export function announceRunning(): void {
  process.send?.(RUNNING_MESSAGE);
}

import type { Logger } from '../util/logger.js';
import type { StreamingListener } from './streaming-listener.js';

/** Delivers events to listeners in registration order, isolating the engine from their errors. */
export class ListenerBus {
  private readonly listeners: StreamingListener[] = [];

  constructor(private readonly logger: Logger) {}

  add(listener: StreamingListener): void {
    this.listeners.push(listener);
  }

  remove(listener: StreamingListener): void {
    const index = this.listeners.indexOf(listener);
    if (index >= 0) this.listeners.splice(index, 1);
  }

  post<E extends keyof StreamingListener>(
    event: E,
    payload: Parameters<NonNullable<StreamingListener[E]>>[0],
  ): void {
    for (const listener of this.listeners) {
      const handler = listener[event] as ((payload: unknown) => void) | undefined;
      if (!handler) continue;
      try {
        handler.call(listener, payload);
      } catch (error) {
        this.logger.error(
          { err: error, event },
          'A streaming listener threw; the engine continues',
        );
      }
    }
  }
}

import { DStreamError } from '@dstream/core';

/**
 * A webhook receiver failed. `code` says how (`WEBHOOK_LISTEN_FAILED`, `WEBHOOK_STORE_FAILED`,
 * `WEBHOOK_SERVER_FAILED`), `url` names the endpoint; `cause` holds the underlying error.
 */
export class WebhookError extends DStreamError {
  /** The endpoint, such as `http://127.0.0.1:8080/events`. */
  readonly url: string;

  constructor(code: string, url: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.url = url;
  }
}

/** The message of an error of unknown type. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

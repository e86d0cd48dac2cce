import { jsonDecoder } from '@dstream/core';

/** The device class a visitor browses with. */
export type DeviceClass = 'desktop' | 'mobile' | 'tablet';

/** One page view, as the site publishes it to Kafka (JSON, keyed by user). */
export interface PageView {
  /** The visitor (the Kafka key, so that a visitor's views stay in order in one partition). */
  readonly user: string;
  /** The path viewed, such as `/products/17`. */
  readonly page: string;
  /** Where the visitor came from: another site, the previous page, or `null` when typed in. */
  readonly referrer: string | null;
  /** When the page was viewed, in milliseconds since the epoch. */
  readonly ts: number;
  readonly device: DeviceClass;
}

const DEVICES: readonly string[] = ['desktop', 'mobile', 'tablet'];

/**
 * The value decoder of the page-view stream: a JSON object with the fields of {@link PageView};
 * anything else throws with the reason (the stream's `onDecodeError` decides what happens then).
 */
export function decodePageView(payload: Buffer): PageView {
  const value = jsonDecoder(payload);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('expected a JSON object');
  }
  const record = value as Record<string, unknown>;
  const { user, page, referrer, ts, device } = record;
  if (typeof user !== 'string' || user === '') throw new Error('user: expected a non-empty string');
  if (typeof page !== 'string' || !page.startsWith('/')) {
    throw new Error('page: expected a path starting with /');
  }
  if (referrer !== null && typeof referrer !== 'string') {
    throw new Error('referrer: expected a string or null');
  }
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts <= 0) {
    throw new Error('ts: expected a positive integer timestamp in milliseconds');
  }
  if (typeof device !== 'string' || !DEVICES.includes(device)) {
    throw new Error(`device: expected one of ${DEVICES.join(', ')}`);
  }
  return { user, page, referrer, ts, device: device as DeviceClass };
}

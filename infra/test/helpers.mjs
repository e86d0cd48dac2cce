import { randomBytes } from 'node:crypto';

/** A name no earlier run used: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix) {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

/**
 * A promise with its resolve function, rejected with `message` after `timeoutMs`.
 * @template T
 * @returns {{ promise: Promise<T>, resolve: (value: T) => void }}
 */
export function deferred(timeoutMs, message) {
  let resolve;
  let timer;
  const promise = new Promise((res, reject) => {
    resolve = res;
    timer = setTimeout(() => reject(new Error(`${message} (after ${timeoutMs} ms)`)), timeoutMs);
  });
  return {
    promise: promise.finally(() => clearTimeout(timer)),
    resolve: (value) => resolve(value),
  };
}

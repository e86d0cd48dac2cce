import { ConfigurationError } from '../util/errors.js';
import type { Sink } from './sink.js';

/** Sinks attached as output with `to(sink)`. */
const outputSinks = new WeakSet<object>();
/** Sinks given to `deadLetter(sink)`. */
const deadLetterSinks = new WeakSet<object>();

/**
 * Records that `sink` receives a stream's output, failing when it already receives dead letters:
 * both would write under the same batch times and replace each other's output.
 */
export function claimOutputSink(sink: Sink<unknown>): void {
  if (deadLetterSinks.has(sink)) {
    throw new ConfigurationError(
      'sink',
      sink.name ?? 'sink',
      'this sink already receives dead letters; give to(sink) and deadLetter(sink) separate sinks',
    );
  }
  outputSinks.add(sink);
}

/** Records that `sink` receives dead letters, failing when it already receives a stream's output. */
export function claimDeadLetterSink(sink: Sink<unknown>): void {
  if (outputSinks.has(sink)) {
    throw new ConfigurationError(
      'deadLetter sink',
      sink.name ?? 'sink',
      'this sink already receives the output of a stream; give to(sink) and deadLetter(sink) separate sinks',
    );
  }
  deadLetterSinks.add(sink);
}

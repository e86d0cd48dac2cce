/**
 * @dstream/socket: TCP socket sources and sink for dstream. `socketTextStream` reads lines of
 * text from a server (Spark's socketTextStream), `rawSocketStream` reads length-prefixed binary
 * records, and `socketSink` writes records as lines. All connect as TCP clients and reconnect
 * with capped exponential backoff.
 */
export { socketTextStream, createSocketTextReceiver } from './socket-text-stream.js';
export type { SocketTextStreamOptions } from './socket-text-stream.js';
export { rawSocketStream, createRawSocketReceiver } from './raw-socket-stream.js';
export type { RawSocketStreamOptions } from './raw-socket-stream.js';
export { socketSink, SocketSink } from './sink/socket-sink.js';
export type { SocketSinkOptions } from './sink/socket-sink.js';
export { SocketReceiver } from './receiver/socket-receiver.js';
export { SocketTextReceiver } from './receiver/socket-text-receiver.js';
export { RawSocketReceiver } from './receiver/raw-socket-receiver.js';
export type { ConnectionOptions } from './connection/connection-options.js';
export { SocketError } from './socket-error.js';

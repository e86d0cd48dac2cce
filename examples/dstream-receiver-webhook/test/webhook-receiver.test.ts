import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  StreamingContext,
  deadLetter,
  type DeadLetterRecord,
  type ReceiverInfo,
  type Sink,
} from '@dstream/core';
import { waitFor } from '@dstream/testkit';
import {
  createWebhookReceiver,
  webhookStream,
  type WebhookReceiver,
  type WebhookStreamOptions,
} from '../src/index.js';
import { accepts, freePort } from './webhook-client.js';

let ssc: StreamingContext | undefined;
let port = 0;

beforeEach(async () => {
  port = await freePort();
});

afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});

/** A running context with a webhook stream whose batches are collected. */
async function start<T>(
  options: Partial<WebhookStreamOptions<T>> = {},
  output: (records: T[]) => void | Promise<void> = () => undefined,
): Promise<{ receiver: WebhookReceiver<T>; batches: T[][]; errors: unknown[] }> {
  ssc = new StreamingContext({ batchInterval: 200, blockInterval: 50, receiverRestartDelay: 100 });
  const receiver = createWebhookReceiver<T>({ port, ...options });
  const batches: T[][] = [];
  const errors: unknown[] = [];
  ssc.receiverStream(receiver).foreachBatch(async (batch) => {
    const records = batch.collect();
    if (records.length === 0) return;
    await output(records);
    batches.push(records);
  });
  ssc.addListener({
    onReceiverError: ({ receiverInfo }: { receiverInfo: ReceiverInfo }) =>
      errors.push(receiverInfo.lastError),
  });
  ssc.start();
  await waitFor(() => receiver.listening);
  return { receiver, batches, errors };
}

function post(body: string, path = '/', method = 'POST'): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    body: method === 'GET' ? undefined : body,
  });
}

describe('webhookStream', () => {
  it('stores the posted body as one JSON record and answers 200 with the count', async () => {
    const { batches } = await start<{ user: string }>();
    const response = await post('{"user":"ada"}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ accepted: 1 });
    await waitFor(() => batches.length > 0);
    expect(batches.flat()).toEqual([{ user: 'ada' }]);
  });

  it("cuts newline-delimited bodies into one record per non-empty line with framing: 'lines'", async () => {
    const { batches } = await start<string>({ framing: 'lines', decode: 'string', path: '/in' });
    const response = await post('a\r\nb\n\nc', '/in?source=test');
    expect(await response.json()).toEqual({ accepted: 3 });
    await waitFor(() => batches.flat().length === 3);
    expect(batches.flat()).toEqual(['a', 'b', 'c']);
  });

  it("with ackOn: 'processed', answers 200 only after the batch holding the records was processed", async () => {
    const processed: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await start<number>({ ackOn: 'processed', framing: 'lines' }, async (records) => {
      await gate;
      processed.push(...records);
    });
    let answered = false;
    const response = post('1\n2\n').then((r) => {
      answered = true;
      // The answer comes only once the output has seen the records.
      expect(processed).toEqual([1, 2]);
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(answered).toBe(false);
    release();
    expect((await response).status).toBe(200);
  });

  it("answers 400 and stores nothing when a payload cannot be decoded (onDecodeError: 'fail')", async () => {
    const { batches, errors, receiver } = await start<unknown>({ framing: 'lines' });
    const response = await post('{"ok":1}\n{broken\n');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /Cannot decode record from a request to http:\/\/127\.0\.0\.1:\d+\/ from/,
    );
    expect(errors).toEqual([expect.objectContaining({ code: 'DECODE_FAILED' })]);
    expect(receiver.decodeFailures.failed).toBe(1);
    expect((await post('{"ok":2}')).status).toBe(200);
    await waitFor(() => batches.length > 0);
    expect(batches.flat()).toEqual([{ ok: 2 }]);
  });

  it("stores the decodable records with onDecodeError: 'skip', and writes the rest to a dead-letter sink with deadLetter()", async () => {
    const letters: DeadLetterRecord[] = [];
    const sink: Sink<DeadLetterRecord> = {
      guarantee: 'at-least-once',
      write: (records) => void letters.push(...records),
    };
    const { batches } = await start<unknown>({ framing: 'lines', onDecodeError: deadLetter(sink) });
    const response = await post('{"ok":1}\nnot json\n{"ok":2}\n');
    expect(await response.json()).toEqual({ accepted: 2 });
    expect(letters.map((letter) => letter.payload.toString())).toEqual(['not json']);
    await waitFor(() => batches.flat().length === 2);
    await ssc!.stop();
    port = await freePort();
    const skipping = await start<unknown>({ framing: 'lines', onDecodeError: 'skip' });
    expect(await (await post('nope\n{"ok":3}\n')).json()).toEqual({ accepted: 1 });
    expect(skipping.receiver.decodeFailures.skipped).toBe(1);
  });

  it('answers 404 for another path, 405 for another method and 413 for a body over maxBodyBytes', async () => {
    await start<unknown>({ path: '/events', maxBodyBytes: 16 });
    expect((await post('{}', '/other')).status).toBe(404);
    const get = await post('', '/events', 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await post('{"padding":"0123456789"}', '/events')).status).toBe(413);
    expect((await post('{}', '/events')).status).toBe(200);
  });

  it('answers 503 with Retry-After when maxPendingRequests requests are pending', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { receiver } = await start<unknown>(
      { ackOn: 'processed', maxPendingRequests: 1, retryAfter: 2 },
      () => gate,
    );
    const first = post('{"n":1}');
    await waitFor(() => receiver.pendingRequests === 1);
    const second = await post('{"n":2}');
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('2');
    release();
    expect((await first).status).toBe(200);
  });

  it('answers 503 to pending requests when it stops, and frees its port', async () => {
    const { receiver } = await start<unknown>(
      { ackOn: 'processed' },
      () => new Promise(() => undefined),
    );
    const pending = post('{"n":1}');
    await waitFor(() => receiver.pendingRequests === 1);
    await ssc!.stop();
    const response = await pending;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await accepts(port)).toBe(false);
    expect(receiver.listening).toBe(false);
  });

  it('listens on a free port with port 0, and a restart listens on the same port', async () => {
    port = 0;
    const { receiver, batches } = await start<unknown>();
    const chosen = receiver.port;
    expect(chosen).toBeGreaterThan(0);
    expect(receiver.url).toBe(`http://127.0.0.1:${chosen}/`);
    receiver.restart('test restart');
    await waitFor(() => !receiver.listening);
    await waitFor(() => receiver.listening);
    expect(receiver.port).toBe(chosen);
    port = chosen;
    expect((await post('{"after":"restart"}')).status).toBe(200);
    await waitFor(() => batches.length > 0);
  });

  it('reports a port that is taken and keeps trying until it is free', async () => {
    const blocker = await import('node:net').then(({ createServer }) =>
      createServer().listen(port, '127.0.0.1'),
    );
    await new Promise((resolve) => blocker.once('listening', resolve));
    ssc = new StreamingContext({
      batchInterval: 200,
      blockInterval: 50,
      receiverRestartDelay: 100,
    });
    const receiver = createWebhookReceiver({ port });
    const errors: unknown[] = [];
    ssc.receiverStream(receiver).foreachBatch(() => undefined);
    ssc.addListener({ onReceiverError: ({ receiverInfo }) => errors.push(receiverInfo.lastError) });
    ssc.start();
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toMatchObject({
      code: 'WEBHOOK_LISTEN_FAILED',
      url: `http://127.0.0.1:${port}/`,
    });
    await new Promise((resolve) => blocker.close(resolve));
    await waitFor(() => receiver.listening);
  });

  it('validates its options when created, naming the option', () => {
    const create = (options: object): unknown =>
      createWebhookReceiver(options as WebhookStreamOptions<unknown>);
    expect(() => create({})).toThrow(/Invalid port: undefined/);
    expect(() => create({ port: 70000 })).toThrow(ConfigurationError);
    expect(() => create({ port: 1, path: 'events' })).toThrow(
      /Invalid path: "events"; expected a path starting with '\/'/,
    );
    expect(() => create({ port: 1, framing: 'chunks' })).toThrow(
      /Invalid framing: "chunks"; expected one of 'body', 'lines'/,
    );
    expect(() => create({ port: 1, decode: 'xml' })).toThrow(/Invalid decode/);
    expect(() => create({ port: 1, onDecodeError: 'ignore' })).toThrow(/Invalid onDecodeError/);
    expect(() => create({ port: 1, maxBodyBytes: 0 })).toThrow(/Invalid maxBodyBytes/);
    expect(() => create({ port: 1, maxPendingRequests: 1.5 })).toThrow(
      /Invalid maxPendingRequests/,
    );
    expect(() => create({ port: 1, retryAfter: -1 })).toThrow(/Invalid retryAfter/);
    expect(() => create({ port: 1, ackOn: 'received' })).toThrow(/Invalid ackOn/);
    expect(() => create({ port: 1, maxRate: 0 })).toThrow(/Invalid maxRate/);
    expect(() => create({ port: 1, host: '' })).toThrow(/Invalid host/);
    expect(() => create({ port: 1, prot: 2 })).toThrow(/Invalid prot: 2; unknown option/);
  });

  it('passes maxRate to the stream and declares itself reliable, not replayable, not ordered', () => {
    ssc = new StreamingContext({ batchInterval: 200 });
    const stream = webhookStream(ssc, { port, maxRate: 50 });
    const source = (
      stream.computation as unknown as { source: { kind: string; options: { maxRate?: number } } }
    ).source;
    expect(source.kind).toBe('receiver');
    expect(source.options.maxRate).toBe(50);
    const receiver = createWebhookReceiver({ port });
    expect(receiver.capabilities).toEqual({ reliable: true, replayable: false, ordered: false });
    expect(receiver.ackOn).toBe('stored');
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DecodeError,
  Receiver,
  RecordDecoding,
  type AcknowledgeableBlock,
  type ReceiverCapabilities,
} from '@dstream/core';
import { readBody, splitLines } from './request-body.js';
import { messageOf, WebhookError } from './webhook-error.js';
import type { ResolvedWebhookOptions } from './webhook-options.js';

/** A request that was accepted and is not answered yet. */
interface PendingRequest {
  readonly response: ServerResponse;
  answered: boolean;
}

/** How long a stopping receiver lets its last answers reach clients before it cuts connections. */
const STOP_GRACE_MS = 500;

/**
 * Receives records posted to an HTTP endpoint, and answers each request 200 only once its
 * records are stored (`ackOn: 'stored'`) or processed (`ackOn: 'processed'`). A client that
 * gets anything else (503 while the receiver is stopping or saturated, a reset connection)
 * sends the request again: nothing is lost that a client was not told was taken. It is
 * reliable, not replayable (the clients replay, not the receiver) and not ordered (concurrent
 * requests are stored in the order they finish).
 *
 * Answers: 200 `{"accepted": n}`; 400 when a payload cannot be decoded under
 * `onDecodeError: 'fail'`; 404 for another path; 405 for another method than POST; 413 for a
 * body over `maxBodyBytes`; 503 with `Retry-After` while stopping, when `maxPendingRequests`
 * requests are pending, or when storing failed.
 */
export class WebhookReceiver<T> extends Receiver<T> {
  readonly capabilities: ReceiverCapabilities = {
    reliable: true,
    replayable: false,
    ordered: false,
  };
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private boundPort: number;
  private isListening = false;
  private readonly pending = new Map<string, PendingRequest>();
  private inFlight = 0;
  private requestSequence = 0;
  private readonly runPrefix = Math.floor(Math.random() * 2 ** 32).toString(36);
  private decoding: RecordDecoding<T> | undefined;

  /** Use `createWebhookReceiver(options)`, which validates the options. */
  constructor(private readonly options: ResolvedWebhookOptions<T>) {
    super();
    this.ackOn = options.ackOn;
    this.boundPort = options.port;
  }

  /** The receiver's name in logs and listener events. */
  override get name(): string {
    return `WebhookReceiver(${this.url})`;
  }

  /** The port listened on: the one chosen at the first start when the option was 0. */
  get port(): number {
    return this.boundPort;
  }

  /** The endpoint, such as `http://127.0.0.1:8080/events`. */
  get url(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${this.boundPort}${this.options.path}`;
  }

  /** Whether the server is accepting requests now. */
  get listening(): boolean {
    return this.isListening;
  }

  /** Requests accepted and not answered yet. */
  get pendingRequests(): number {
    return this.inFlight;
  }

  /** The `maxRate` of the stream, if set. */
  get maxRate(): number | undefined {
    return this.options.maxRate;
  }

  /** Counts of payloads that could not be decoded, per outcome. */
  get decodeFailures(): { failed: number; skipped: number; deadLettered: number } {
    return { ...(this.decoding?.counts ?? { failed: 0, skipped: 0, deadLettered: 0 }) };
  }

  onStart(): void {
    this.decoding ??= new RecordDecoding<T>(
      this.options.decoder,
      this.options.onDecodeError,
      this.logger,
    );
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.reportError(
          new WebhookError(
            'WEBHOOK_SERVER_FAILED',
            this.url,
            `Handling a request to ${this.url} failed: ${messageOf(error)}`,
            { cause: error },
          ),
        );
        if (!response.headersSent) this.send(response, 500, { error: 'internal error' });
      });
    });
    this.server = server;
    this.closing = undefined;
    server.once('listening', () => {
      if (server !== this.server) return;
      this.boundPort = (server.address() as AddressInfo).port;
      this.isListening = true;
      this.logger.info({ url: this.url }, 'Webhook receiver listening');
    });
    server.on('error', (error) => {
      if (server !== this.server) return;
      const wrapped = new WebhookError(
        this.isListening ? 'WEBHOOK_SERVER_FAILED' : 'WEBHOOK_LISTEN_FAILED',
        this.url,
        `${this.isListening ? 'The server' : 'Cannot listen'} at ${this.url}: ${messageOf(error)}`,
        { cause: error },
      );
      // Not listening yet (the port is taken): try again after the restart delay.
      if (this.isListening) this.reportError(wrapped);
      else this.restart(wrapped.message, wrapped);
    });
    server.listen(this.boundPort, this.options.host);
  }

  async onStop(): Promise<void> {
    const server = this.server;
    if (server === undefined) {
      await this.closing;
      return;
    }
    this.server = undefined;
    this.isListening = false;
    // What is not acknowledged now will be sent again by its client.
    const answers: Promise<void>[] = [];
    for (const pending of this.pending.values()) {
      answers.push(finished(pending.response));
      this.answer(pending, 503, { error: 'the receiver is stopping; send again' });
    }
    this.pending.clear();
    this.closing = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      void Promise.race([Promise.all(answers), delay(STOP_GRACE_MS)]).then(() =>
        server.closeAllConnections(),
      );
    });
    await this.closing;
    this.logger.info({ url: this.url }, 'Webhook receiver stopped');
  }

  override onAcknowledge(block: AcknowledgeableBlock): void {
    const requestId = block.metadata.requestId;
    if (typeof requestId !== 'string') return;
    const pending = this.pending.get(requestId);
    if (pending === undefined) return;
    this.pending.delete(requestId);
    this.answer(pending, 200, { accepted: block.numRecords });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.server === undefined) {
      this.send(response, 503, { error: 'the receiver is stopping; send again' });
      return;
    }
    const target = request.url ?? '/';
    const query = target.indexOf('?');
    if ((query === -1 ? target : target.slice(0, query)) !== this.options.path) {
      this.send(response, 404, { error: `post to ${this.options.path}` });
      return;
    }
    if (request.method !== 'POST') {
      this.send(response, 405, { error: 'only POST is accepted' }, { Allow: 'POST' });
      return;
    }
    if (this.inFlight >= this.options.maxPendingRequests) {
      this.send(response, 503, { error: 'too many pending requests; send again later' });
      return;
    }
    this.inFlight++;
    const pending: PendingRequest = { response, answered: false };
    response.once('close', () => this.release(pending));
    const body = await readBody(request, this.options.maxBodyBytes);
    if (body === 'aborted') return;
    if (body === 'too-large') {
      this.answer(
        pending,
        413,
        { error: `the body is over ${this.options.maxBodyBytes} bytes` },
        { Connection: 'close' },
      );
      return;
    }
    if (this.server === undefined) {
      this.answer(pending, 503, { error: 'the receiver is stopping; send again' });
      return;
    }
    const remoteAddress = request.socket.remoteAddress ?? 'unknown';
    let records: T[];
    try {
      records = this.decode(body, remoteAddress);
      if (this.options.onDecodeError !== 'fail' && this.options.onDecodeError !== 'skip') {
        await this.decoding?.pendingDeadLetters();
      }
    } catch (error) {
      if (error instanceof DecodeError) {
        this.reportError(error);
        this.answer(pending, 400, { error: error.message });
        return;
      }
      throw error;
    }
    if (records.length === 0) {
      this.answer(pending, 200, { accepted: 0 });
      return;
    }
    const requestId = `${this.runPrefix}-${this.requestSequence++}`;
    this.pending.set(requestId, pending);
    try {
      // With ackOn 'stored' the engine calls onAcknowledge, which answers, before this resolves.
      await this.storeBlock(records, { requestId, remoteAddress, path: this.options.path });
    } catch (error) {
      this.pending.delete(requestId);
      this.reportError(
        new WebhookError(
          'WEBHOOK_STORE_FAILED',
          this.url,
          `Storing ${records.length} records received at ${this.url} failed: ${messageOf(error)}`,
          { cause: error },
        ),
      );
      this.answer(pending, 503, { error: 'the records could not be stored; send again' });
    }
  }

  /** The records of a body; throws a DecodeError under `onDecodeError: 'fail'`. */
  private decode(body: Buffer, remoteAddress: string): T[] {
    const decoding = this.decoding!;
    const source = (): string => `a request to ${this.url} from ${remoteAddress}`;
    const payloads = this.options.framing === 'lines' ? splitLines(body) : [body];
    const records: T[] = [];
    for (const payload of payloads) {
      const record = decoding.decode(payload, source);
      if (record !== RecordDecoding.SKIPPED) records.push(record);
    }
    return records;
  }

  private answer(
    pending: PendingRequest,
    status: number,
    body: object,
    headers: Record<string, string> = {},
  ): void {
    if (pending.answered) return;
    this.release(pending);
    this.send(pending.response, status, body, headers);
  }

  private release(pending: PendingRequest): void {
    if (pending.answered) return;
    pending.answered = true;
    this.inFlight--;
  }

  private send(
    response: ServerResponse,
    status: number,
    body: object,
    headers: Record<string, string> = {},
  ): void {
    if (response.headersSent || response.destroyed) return;
    const text = JSON.stringify(body);
    const extra: Record<string, string> =
      status === 503 ? { 'Retry-After': String(this.options.retryAfter), ...headers } : headers;
    if (this.server === undefined) extra.Connection = 'close';
    response.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(text)),
      ...extra,
    });
    response.end(text);
  }
}

function finished(response: ServerResponse): Promise<void> {
  if (response.writableFinished || response.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    response.once('finish', resolve);
    response.once('close', resolve);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

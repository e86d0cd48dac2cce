import { Agent, request } from 'node:http';
import { createServer, connect } from 'node:net';

/**
 * A webhook client as a well-behaved sender would be: it posts records as newline-delimited
 * JSON and sends a request again, after a short pause, until it is answered 200.
 */
export class RetryingWebhookClient {
  /** Ids of the records whose request was answered 200. */
  readonly acknowledged: number[] = [];
  /** Every status answered, in order (0 for a failed connection). */
  readonly statuses: number[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly deliveries = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly url: URL,
    private readonly retryDelay = 25,
  ) {}

  /** Sends `ids` in requests of `perRequest` records, in the background, until each is taken. */
  send(ids: readonly number[], perRequest = 10): void {
    for (let start = 0; start < ids.length; start += perRequest) {
      const delivery = this.deliver(ids.slice(start, start + perRequest));
      this.deliveries.add(delivery);
      void delivery.finally(() => this.deliveries.delete(delivery));
    }
  }

  /** Resolves once every request sent so far was answered 200. */
  async settled(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  /** Stops retrying and closes the connections. */
  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
    await this.settled();
  }

  private async deliver(ids: readonly number[]): Promise<void> {
    const body = ids.map((id) => JSON.stringify({ id })).join('\n') + '\n';
    while (!this.closed) {
      const status = await this.post(body);
      this.statuses.push(status);
      if (status === 200) {
        this.acknowledged.push(...ids);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.retryDelay));
    }
  }

  private post(body: string): Promise<number> {
    return new Promise((resolve) => {
      const outgoing = request(
        this.url,
        { method: 'POST', agent: this.agent, headers: { 'Content-Type': 'application/x-ndjson' } },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode ?? 0));
          response.once('error', () => resolve(0));
        },
      );
      outgoing.once('error', () => resolve(0));
      outgoing.end(body);
    });
  }
}

/** A TCP port free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on the port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

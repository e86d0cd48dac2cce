import net from 'node:net';
import aedes from 'aedes';

/** The MQTT port, used by the embedded broker when it is free. */
export const DEFAULT_MQTT_PORT = 1883;

/** An MQTT broker running inside this process (aedes): MQTT 3.1.1, sessions in memory. */
export interface EmbeddedBroker {
  /** Where clients connect: `mqtt://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Disconnects every client and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts an embedded broker on 127.0.0.1. With `port` undefined it takes 1883 when that is free
 * and any free port otherwise; `0` always takes a free port; another number must be free.
 */
export async function startEmbeddedBroker(port?: number): Promise<EmbeddedBroker> {
  const broker = aedes.createBroker();
  const server = net.createServer((socket) => broker.handle(socket));
  try {
    if (port === undefined) {
      try {
        await listen(server, DEFAULT_MQTT_PORT);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        await listen(server, 0);
      }
    } else {
      await listen(server, port);
    }
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw new Error(
      `Cannot start the embedded MQTT broker on 127.0.0.1:${port ?? DEFAULT_MQTT_PORT}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const actualPort = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

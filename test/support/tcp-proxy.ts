// A TCP proxy in front of a real database server, so a test can "stop" the database as the
// bridge sees it (refuse and cut every connection), or stall it (connections stay open and
// nothing comes back), without touching the shared server other tests use, and start it again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Cuts every connection and refuses new ones. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Accepts connections and holds every byte in both directions until resume(). */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let stalled = false;
  let held: Array<() => void> = [];

  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk) => {
      if (stalled) held.push(() => to.write(chunk));
      else to.write(chunk);
    });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        sockets.add(client);
        sockets.add(upstream);
        forward(client, upstream);
        forward(upstream, client);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const a = server!.address();
        port = typeof a === 'object' && a ? a.port : port;
        resolve();
      });
    });

  const stop = async () => {
    held = [];
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    stop,
    start: listen,
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      const pending = held;
      held = [];
      for (const write of pending) write();
    },
    close: async () => {
      stalled = false;
      await stop();
    },
  };
}

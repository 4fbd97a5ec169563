import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy to `127.0.0.1:targetPort` that holds every chunk `delayMs` before passing it on, in
 * both directions and in order: a dependency that answers, slowly.
 */
export class SlowProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #sockets: Set<Socket>;

  private constructor(server: Server, sockets: Set<Socket>) {
    this.#server = server;
    this.#sockets = sockets;
    this.port = (server.address() as { port: number }).port;
  }

  static async start(targetPort: number, delayMs: number): Promise<SlowProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        sockets.add(from);
        // Equal delays fire in the order they were set: each direction keeps its order.
        from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
        from.on('close', () => {
          sockets.delete(from);
          setTimeout(() => to.destroy(), delayMs);
        });
        from.on('error', () => {});
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new SlowProxy(server, sockets);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

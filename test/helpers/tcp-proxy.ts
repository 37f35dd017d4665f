import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a database, so a test can take the database away and give it back without
 * touching the real server:
 * - `cut()`: every open connection is destroyed and new ones are closed as soon as they arrive (the
 *   database is gone: connection reset);
 * - `blackhole()`: open connections stop carrying data and new ones are accepted but never answered (the
 *   database, or the network, hangs);
 * - `restore()`: forwards again; connections held by the blackhole resume where they stopped.
 */
export interface TcpProxy {
  port: number;
  /** `url` (a postgresql:// URL) pointed at the proxy instead. */
  via(url: string): string;
  cut(): void;
  blackhole(): void;
  restore(): void;
  /** Connections currently open through the proxy. */
  open(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  held: boolean;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'forward' | 'cut' | 'blackhole' = 'forward';
  const pairs = new Set<Pair>();
  const waiting = new Set<Socket>();

  const hold = (p: Pair) => {
    p.held = true;
    p.client.unpipe(p.upstream);
    p.upstream.unpipe(p.client);
    p.client.pause();
    p.upstream.pause();
  };
  const forward = (p: Pair) => {
    p.held = false;
    p.client.pipe(p.upstream);
    p.upstream.pipe(p.client);
  };
  const pairUp = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    const p: Pair = { client, upstream, held: false };
    pairs.add(p);
    const drop = () => {
      pairs.delete(p);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop);
    client.on('error', drop);
    upstream.on('close', drop);
    client.on('close', drop);
    if (mode === 'blackhole') hold(p);
    else forward(p);
  };

  const server = createServer((client) => {
    client.on('error', () => client.destroy());
    if (mode === 'cut') return void client.destroy();
    if (mode === 'blackhole') {
      // Accepted, then silence: the client waits for a handshake that does not come.
      waiting.add(client);
      client.on('close', () => waiting.delete(client));
      client.pause();
      return;
    }
    pairUp(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      mode = 'cut';
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      for (const s of waiting) s.destroy();
      waiting.clear();
    },
    blackhole() {
      mode = 'blackhole';
      for (const p of pairs) hold(p);
    },
    restore() {
      mode = 'forward';
      for (const p of pairs) if (p.held) forward(p);
      for (const s of waiting) {
        waiting.delete(s);
        s.resume();
        pairUp(s);
      }
    },
    open: () => pairs.size + waiting.size,
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      for (const s of waiting) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

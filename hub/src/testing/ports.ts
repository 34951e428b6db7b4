import { createServer } from 'node:net';

/**
 * A TCP port free on loopback right now, for a process that must come back on the same port
 * (a hub restarted under agents that know its URL); port 0 serves everything else.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

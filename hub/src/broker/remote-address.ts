import type { Client } from 'aedes';

/** The peer address of a TCP, TLS or WebSocket connection, for logs and rate limiting. */
export function remoteAddressOf(client: Client): string {
  const conn = client.conn as { remoteAddress?: string; socket?: { remoteAddress?: string } };
  return conn.remoteAddress ?? client.req?.socket?.remoteAddress ?? conn.socket?.remoteAddress ?? 'unknown';
}

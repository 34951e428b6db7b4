import type { Server } from 'node:net';
import { KhoaError } from '@khoa/protocol';
import { envNameOf } from '../settings/env.ts';

/**
 * Starts a server listening and returns the port it got (useful with port 0). A port that is
 * taken becomes KHOA_ERR_PORT_IN_USE naming the setting and its variable, so the operator
 * knows what to change instead of reading a bare EADDRINUSE.
 */
export function listenOn(server: Server, host: string, port: number, setting: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenError(err, setting, host, port));
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Maps EADDRINUSE / EACCES to KHOA_ERR_PORT_IN_USE naming the setting; other errors pass through. */
export function listenError(err: NodeJS.ErrnoException, setting: string, host: string, port: number): Error {
  if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') return err;
  const env = envNameOf(setting);
  const what = err.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges';
  return new KhoaError('KHOA_ERR_PORT_IN_USE', `${host}:${port} ${what}; change ${setting}${env ? ` (${env})` : ''}`, { setting, env, host, port, errno: err.code }, { cause: err });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Keep-alive sockets would hold close() open; the broker closes its clients itself.
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

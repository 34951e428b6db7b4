import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer } from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Aedes } from 'aedes';
import { KhoaError } from '@khoa/protocol';
import type { Settings } from '../settings/schema.ts';
import type { Logger } from '../log.ts';
import { closeServer, listenOn } from './listen.ts';
import { guardSocket } from './packet-size-guard.ts';

export interface BrokerPorts {
  tcp: number;
  tls?: number;
  ws?: number;
}

export interface Listeners {
  ports: BrokerPorts;
  close(): Promise<void>;
}

/**
 * Puts the broker on the network: plain TCP always, TLS and WebSocket when configured.
 * If any listener fails, the ones already started are closed before the error propagates.
 */
export async function startListeners(broker: Aedes, mqtt: Settings['mqtt'], log: Logger, onOversized: (err: Error, address: string | undefined) => void): Promise<Listeners> {
  // TCP and TLS sockets go through the packet size guard; WebSocket messages are bounded by ws' maxPayload.
  const guarded = (socket: Socket) => broker.handle(guardSocket(socket, mqtt.maxPacketBytes, mqtt.maxConnectBytes, (err) => onOversized(err, socket.remoteAddress)));
  const servers: Server[] = [];
  const extra: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const f of extra) await f();
    await Promise.all(servers.map(closeServer));
  };
  try {
    const tcp = createTcpServer(guarded);
    servers.push(tcp);
    const ports: BrokerPorts = { tcp: await listenOn(tcp, mqtt.host, mqtt.port, 'mqtt.port') };

    if (mqtt.tls) {
      const tls = createTlsServer({ cert: readPem(mqtt.tls.cert, 'mqtt.tls.cert'), key: readPem(mqtt.tls.key, 'mqtt.tls.key'), minVersion: 'TLSv1.2' }, guarded);
      // A failed handshake (scanner, wrong CA) is the peer's problem; without a listener it would be unhandled.
      tls.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed'));
      servers.push(tls);
      ports.tls = await listenOn(tls, mqtt.host, mqtt.tls.port, 'mqtt.tls.port');
    }

    if (mqtt.ws) {
      const http = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
      });
      // noServer: ws would otherwise attach to the HTTP server and re-emit its listen errors
      // (a taken port) on the WebSocketServer, where nothing catches them.
      const wss = new WebSocketServer({ noServer: true, maxPayload: mqtt.maxPacketBytes + 8 });
      const path = mqtt.ws.path;
      http.on('upgrade', (req, socket, head) => {
        if (new URL(req.url ?? '/', 'http://x').pathname !== path) return socket.destroy();
        wss.handleUpgrade(req, socket, head, (ws) => {
          const stream = createWebSocketStream(ws);
          stream.on('error', () => ws.terminate());
          broker.handle(stream, req);
        });
      });
      extra.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
      servers.push(http);
      ports.ws = await listenOn(http, mqtt.host, mqtt.ws.port, 'mqtt.ws.port');
    }
    return { ports, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function readPem(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new KhoaError('KHOA_ERR_CONFIG_FILE', `${setting}: ${(err as Error).message}`, { setting, file }, { cause: err });
  }
}

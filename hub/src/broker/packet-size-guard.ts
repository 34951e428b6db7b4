import { Duplex, Transform, type TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';
import { KhoaError } from '@khoa/protocol';

/**
 * Refuses MQTT packets larger than a bound before they are buffered. aedes' parser
 * (mqtt-packet) keeps a packet in memory until all of its announced length (up to 256 MB) has
 * arrived, and the CONNECT packet is parsed before any authentication: without this, anyone
 * could make the hub allocate hundreds of MB per connection.
 *
 * It reads only the fixed headers (type byte and "remaining length" varint, MQTT 3.1.1
 * section 2.2.3) and passes every byte through unchanged.
 */
export class PacketSizeGuard extends Transform {
  #bodyLeft = 0;
  #inHeader = false;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #packets = 0;

  constructor(
    private readonly maxPacketBytes: number,
    /** Bound for the first packet (CONNECT: client id, credentials, will), smaller since it comes unauthenticated. */
    private readonly maxConnectBytes: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#bodyLeft > 0) {
        const n = Math.min(this.#bodyLeft, chunk.length - i);
        this.#bodyLeft -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++]!;
      if (!this.#inHeader) {
        this.#inHeader = true;
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#lengthBytes++;
      if (byte & 0x80) {
        if (this.#lengthBytes >= 4) return done(new KhoaError('KHOA_ERR_PAYLOAD_INVALID', 'malformed MQTT remaining length', { reason: 'malformed' }));
        continue;
      }
      const limit = this.#packets === 0 ? this.maxConnectBytes : this.maxPacketBytes;
      if (this.#length > limit) {
        return done(new KhoaError('KHOA_ERR_PAYLOAD_TOO_LARGE', `MQTT packet of ${this.#length} bytes > ${limit}`, { bytes: this.#length, max: limit, first: this.#packets === 0 }));
      }
      this.#packets++;
      this.#inHeader = false;
      this.#bodyLeft = this.#length;
    }
    done(null, chunk);
  }
}

/**
 * Puts a PacketSizeGuard between a socket and the broker: the broker reads through the guard
 * and writes straight to the socket. The peer address is kept for logs and rate limiting.
 */
export function guardSocket(socket: Socket, maxPacketBytes: number, maxConnectBytes: number, onRefused: (err: Error) => void): Duplex {
  const guard = new PacketSizeGuard(maxPacketBytes, maxConnectBytes);
  const duplex = Duplex.from({ readable: socket.pipe(guard), writable: socket });
  Object.defineProperty(duplex, 'remoteAddress', { value: socket.remoteAddress });
  guard.on('error', (err) => {
    onRefused(err);
    socket.destroy();
    duplex.destroy();
  });
  socket.on('error', () => duplex.destroy());
  socket.on('close', () => duplex.destroy());
  return duplex;
}

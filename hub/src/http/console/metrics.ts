import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The console's metrics, on the hub's registry: open live streams (and what they hold unsent),
 * streams dropped for not reading, logins and their outcome,
 * workflow steps, and views of household images (the audit log holds who; this holds how many).
 */
export function consoleMetrics(registry: Registry, streams: () => number) {
  // Each open stream registers how to read its unsent bytes; the gauge sums them at scrape time.
  const buffers = new Set<() => number>();
  return {
    streams: new Gauge({
      name: 'khoa_console_streams',
      help: 'open live alert streams (police consoles and household pages)',
      registers: [registry],
      collect() {
        this.set(streams());
      },
    }),
    streamBufferedBytes: new Gauge({
      name: 'khoa_console_stream_buffered_bytes',
      help: 'bytes written to live alert streams and not yet taken by the network, all streams',
      registers: [registry],
      collect() {
        let n = 0;
        for (const read of buffers) n += read();
        this.set(n);
      },
    }),
    streamsDropped: new Counter({ name: 'khoa_console_streams_dropped_total', help: 'live alert streams closed by the hub, by reason (slow: the client stopped reading)', labelNames: ['reason'] as const, registers: [registry] }),
    /** Counts a stream's unsent bytes in khoa_console_stream_buffered_bytes until the returned function is called. */
    trackStreamBuffer(read: () => number): () => void {
      buffers.add(read);
      return () => buffers.delete(read);
    },
    logins: new Counter({ name: 'khoa_console_logins_total', help: 'console sign-ins, by result (ok, refused, rate_limited)', labelNames: ['result'] as const, registers: [registry] }),
    steps: new Counter({ name: 'khoa_console_alert_steps_total', help: 'alert workflow steps taken, by action and result (ok, conflict)', labelNames: ['action', 'result'] as const, registers: [registry] }),
    photosRefused: new Counter({ name: 'khoa_console_photos_refused_total', help: 'tip photos refused before storing, by code (KHOA_ERR_IMAGE_TOO_LARGE: header declares too many pixels; KHOA_ERR_IMAGE_DECODE; KHOA_ERR_PAYLOAD_TOO_LARGE)', labelNames: ['code'] as const, registers: [registry] }),
    imageViews: new Counter({ name: 'khoa_console_image_views_total', help: 'household images served, by kind and viewer role', labelNames: ['kind', 'role'] as const, registers: [registry] }),
  };
}

export type ConsoleMetrics = ReturnType<typeof consoleMetrics>;

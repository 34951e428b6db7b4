import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The console's metrics, on the hub's registry: open live streams, logins and their outcome,
 * workflow steps, and views of household images (the audit log holds who; this holds how many).
 */
export function consoleMetrics(registry: Registry, streams: () => number) {
  return {
    streams: new Gauge({
      name: 'khoa_console_streams',
      help: 'open live alert streams (police consoles and household pages)',
      registers: [registry],
      collect() {
        this.set(streams());
      },
    }),
    logins: new Counter({ name: 'khoa_console_logins_total', help: 'console sign-ins, by result (ok, refused, rate_limited)', labelNames: ['result'] as const, registers: [registry] }),
    steps: new Counter({ name: 'khoa_console_alert_steps_total', help: 'alert workflow steps taken, by action and result (ok, conflict)', labelNames: ['action', 'result'] as const, registers: [registry] }),
    imageViews: new Counter({ name: 'khoa_console_image_views_total', help: 'household images served, by kind and viewer role', labelNames: ['kind', 'role'] as const, registers: [registry] }),
  };
}

export type ConsoleMetrics = ReturnType<typeof consoleMetrics>;

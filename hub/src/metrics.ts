import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the hub exports on /metrics. One registry per hub instance (not prom-client's
 * global one), so several hubs in one test process do not collide.
 */
export function createMetrics(opts: { connectedClients: () => number; defaultMetrics?: boolean }) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'khoa_' });
  const m = {
    registry,
    connectedClients: new Gauge({
      name: 'khoa_mqtt_connected_clients',
      help: 'MQTT clients connected to the embedded broker',
      registers: [registry],
      collect() {
        this.set(opts.connectedClients());
      },
    }),
    messagesIn: new Counter({ name: 'khoa_mqtt_messages_in_total', help: 'MQTT messages received from devices, by topic kind', labelNames: ['kind'] as const, registers: [registry] }),
    messagesOut: new Counter({ name: 'khoa_mqtt_messages_out_total', help: 'MQTT messages the hub published, by topic kind', labelNames: ['kind'] as const, registers: [registry] }),
    authRejected: new Counter({ name: 'khoa_auth_rejected_total', help: 'MQTT connections refused, by reason', labelNames: ['reason'] as const, registers: [registry] }),
    authAccepted: new Counter({ name: 'khoa_auth_accepted_total', help: 'MQTT connections accepted, by whether the verification cache answered', labelNames: ['cached'] as const, registers: [registry] }),
    aclRejected: new Counter({ name: 'khoa_acl_rejected_total', help: 'publishes and subscriptions refused by the ACL', labelNames: ['action', 'reason'] as const, registers: [registry] }),
    payloadRejected: new Counter({ name: 'khoa_payload_rejected_total', help: 'payloads dropped, by topic kind and reason', labelNames: ['kind', 'reason'] as const, registers: [registry] }),
    eventsStored: new Counter({ name: 'khoa_events_stored_total', help: 'lock events stored', registers: [registry] }),
    eventsDuplicate: new Counter({ name: 'khoa_events_duplicate_total', help: 'lock events already stored (replays after reconnect)', registers: [registry] }),
    alertsRaised: new Counter({ name: 'khoa_alerts_raised_total', help: 'alerts raised, by kind', labelNames: ['kind'] as const, registers: [registry] }),
    alertsDeduplicated: new Counter({ name: 'khoa_alerts_deduplicated_total', help: 'alerts not raised because one of the same kind is open for the device', labelNames: ['kind'] as const, registers: [registry] }),
    ruleFailures: new Counter({ name: 'khoa_rule_failures_total', help: 'rule evaluations that threw (isolated, other rules still ran)', labelNames: ['rule'] as const, registers: [registry] }),
    ingestFailures: new Counter({ name: 'khoa_ingest_failures_total', help: 'messages whose handling failed for a reason other than a bad payload (e.g. storage)', labelNames: ['kind'] as const, registers: [registry] }),
    ingestSeconds: new Histogram({
      name: 'khoa_ingest_seconds',
      help: 'time to handle one device message, by topic kind',
      labelNames: ['kind'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

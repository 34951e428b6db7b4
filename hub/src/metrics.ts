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
    authThrottled: new Counter({ name: 'khoa_login_throttled_total', help: 'MQTT and console logins refused unchecked by the brute-force limits, by surface and scope (pair: account+address backoff, address, account: closed to unfamiliar addresses)', labelNames: ['surface', 'scope'] as const, registers: [registry] }),
    areaImports: new Counter({ name: 'khoa_area_imports_total', help: 'area CSV imports (CLI and district upload), by result (ok, refused) and reason (csv, rows, tree, too_large, encoding)', labelNames: ['result', 'reason'] as const, registers: [registry] }),
    aclRejected: new Counter({ name: 'khoa_acl_rejected_total', help: 'publishes and subscriptions refused by the ACL', labelNames: ['action', 'reason'] as const, registers: [registry] }),
    payloadRejected: new Counter({ name: 'khoa_payload_rejected_total', help: 'payloads dropped, by topic kind and reason', labelNames: ['kind', 'reason'] as const, registers: [registry] }),
    eventsStored: new Counter({ name: 'khoa_events_stored_total', help: 'lock events stored', registers: [registry] }),
    eventsDuplicate: new Counter({ name: 'khoa_events_duplicate_total', help: 'lock events already stored (replays after reconnect)', registers: [registry] }),
    eventsSeqConflict: new Counter({ name: 'khoa_events_seq_conflict_total', help: 'lock events refused because their device already used that seq for a different event (the agent reissued seqs: these events are lost)', registers: [registry] }),
    agentEventsDropped: new Counter({ name: 'khoa_agent_events_dropped_total', help: 'lock events agents report they dropped before the hub got them (queue bound, or disk full and memory bound), from the dropped count in their heartbeats', registers: [registry] }),
    deviceClockSkewed: new Counter({ name: 'khoa_device_clock_skewed_total', help: 'device connections whose clock was more than 30 s off the hub clock (their event times are corrected)', registers: [registry] }),
    alertsRaised: new Counter({ name: 'khoa_alerts_raised_total', help: 'alerts raised, by kind', labelNames: ['kind'] as const, registers: [registry] }),
    alertsDeduplicated: new Counter({ name: 'khoa_alerts_deduplicated_total', help: 'alerts not raised because one of the same kind is open for the device', labelNames: ['kind'] as const, registers: [registry] }),
    ruleFailures: new Counter({ name: 'khoa_rule_failures_total', help: 'rule evaluations that threw (isolated, other rules still ran)', labelNames: ['rule'] as const, registers: [registry] }),
    ingestFailures: new Counter({ name: 'khoa_ingest_failures_total', help: 'messages whose handling failed for a reason other than a bad payload (e.g. storage)', labelNames: ['kind'] as const, registers: [registry] }),
    // How many writes each SQLite group commit carried (storage/group-commit.ts): near 1 means
    // the hub is idle or the devices publish one at a time; large means it is saving commits.
    groupCommitSize: new Histogram({
      name: 'khoa_db_group_commit_size',
      help: 'writes per SQLite group commit on the devices\' hot path (lock events, their rules-done marks, heartbeats)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
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

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The agent's metrics. One registry per agent (not prom-client's global one) so several agents
 * in one test process, or beside a hub in the demo, do not collide.
 */
export function createAgentMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'khoa_agent_' });
  const r = [registry];
  return {
    registry,
    connected: new Gauge({ name: 'khoa_agent_mqtt_connected', help: '1 while the link to the hub is up', registers: r }),
    reconnects: new Counter({ name: 'khoa_agent_mqtt_reconnects_total', help: 'connection attempts made after the first (link lost or attempt failed)', registers: r }),
    linkErrors: new Counter({ name: 'khoa_agent_mqtt_errors_total', help: 'MQTT client errors, by code', labelNames: ['code'] as const, registers: r }),
    queueDepth: new Gauge({ name: 'khoa_agent_queue_depth', help: 'lock events on disk waiting for the hub to acknowledge them', registers: r }),
    queueBytes: new Gauge({ name: 'khoa_agent_queue_bytes', help: 'bytes of lock events waiting in the queue', registers: r }),
    queueDropped: new Counter({ name: 'khoa_agent_queue_dropped_total', help: 'events dropped: the oldest past the queue bound, or the oldest held in memory only (disk refusing writes) past the memory bound', registers: r }),
    queueWriteErrors: new Counter({ name: 'khoa_agent_queue_write_errors_total', help: 'queue writes (segments, cursor) the disk refused, by errno code (ENOSPC: full)', labelNames: ['code'] as const, registers: r }),
    queueStorageOk: new Gauge({ name: 'khoa_agent_queue_storage_ok', help: '1 while the queue directory takes writes, 0 from a refused write until one succeeds again', registers: r }),
    queueMemoryOnly: new Gauge({ name: 'khoa_agent_queue_memory_only', help: 'lock events held in memory only because the disk refused them (lost if the agent stops)', registers: r }),
    queueCorrupt: new Counter({ name: 'khoa_agent_queue_corrupt_lines_total', help: 'queue lines skipped on load because they were torn or invalid', registers: r }),
    eventsMade: new Counter({ name: 'khoa_agent_events_total', help: 'lock events produced by drivers, by type', labelNames: ['type'] as const, registers: r }),
    eventsPublished: new Counter({ name: 'khoa_agent_events_published_total', help: 'lock events the hub acknowledged (PUBACK)', registers: r }),
    framesPublished: new Counter({ name: 'khoa_agent_frames_published_total', help: 'camera frames handed to the link', registers: r }),
    framesDropped: new Counter({ name: 'khoa_agent_frames_dropped_total', help: 'camera frames dropped, by reason (offline, backlog: uplink too slow, invalid)', labelNames: ['reason'] as const, registers: r }),
    commands: new Counter({ name: 'khoa_agent_commands_total', help: 'commands handled, by name and result', labelNames: ['name', 'result'] as const, registers: r }),
    commandsRejected: new Counter({ name: 'khoa_agent_commands_rejected_total', help: 'command messages refused before handling, by reason', labelNames: ['reason'] as const, registers: r }),
    driverErrors: new Counter({ name: 'khoa_agent_driver_errors_total', help: 'lock driver failures and invalid inputs, by driver', labelNames: ['driver'] as const, registers: r }),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;

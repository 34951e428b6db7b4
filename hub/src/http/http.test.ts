import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@khoa/protocol';
import { startTestHub, type TestHub } from '../testing/harness.ts';

describe('HTTP /healthz and /metrics', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t?.close());

  it('reports broker and database status', async () => {
    const res = await fetch(`${t.http}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', broker: { up: true, clients: 0 }, db: { up: true, dialect: 'sqlite' } });
  });

  it('exports the hub metrics in Prometheus format', async () => {
    const dev = { householdId: 'hh-m', deviceId: 'agent-m' };
    const c = await t.connect(dev.deviceId, await t.provision(dev.householdId, dev.deviceId));
    await c.publishAsync(topics.lockEvent(dev, 'front'), JSON.stringify({ seq: 1, ts: Date.now(), type: 'sos' }), { qos: 1 });
    await c.publishAsync(topics.lockEvent(dev, 'front'), 'garbage', { qos: 1 });
    await t.hub.sendCommand(dev, 'disarm', { transaction: 't1' });
    const res = await fetch(`${t.http}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^khoa_mqtt_connected_clients 1$/m);
    expect(text).toMatch(/^khoa_mqtt_messages_in_total\{kind="lock_event"\} 2$/m);
    expect(text).toMatch(/^khoa_mqtt_messages_out_total\{kind="cmd"\} 1$/m);
    expect(text).toMatch(/^khoa_payload_rejected_total\{kind="lock_event",reason="json"\} 1$/m);
    expect(text).toMatch(/^khoa_alerts_raised_total\{kind="sos"\} 1$/m);
    expect(text).toContain('# TYPE khoa_auth_rejected_total counter');
    expect(text).toContain('# TYPE khoa_acl_rejected_total counter');
    expect(text).toContain('khoa_process_cpu_seconds_total');
  });

  it('answers 503 when the database is gone', async () => {
    await t.hub.db.close();
    const res = await fetch(`${t.http}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'degraded', db: { up: false } });
  });
});

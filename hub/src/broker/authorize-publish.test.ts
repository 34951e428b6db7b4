import { describe, expect, it } from 'vitest';
import type { Client, PublishPacket } from 'aedes';
import { topics } from '@khoa/protocol';
import { createMetrics } from '../metrics.ts';
import { createLogger } from '../log.ts';
import { setIdentity } from './identity.ts';
import { createAuthorizePublish } from './authorize-publish.ts';

const publish = (hook: ReturnType<typeof createAuthorizePublish>, client: Client, topic: string): Promise<string> =>
  new Promise((resolve) => hook(client, { cmd: 'publish', topic, payload: Buffer.from('{}'), qos: 1, retain: false, dup: false } as PublishPacket, (err) => resolve(err ? err.message : 'ok')));

describe('authorizePublish', () => {
  it('keeps ACL decisions per connection: a topic allowed to one device stays refused to another', async () => {
    const metrics = createMetrics({ connectedClients: () => 0, defaultMetrics: false });
    const seen: string[] = [];
    const hook = createAuthorizePublish({ metrics, log: createLogger('silent'), beforeAck: async (who, topic) => void seen.push(`${who.deviceId}:${topic.kind}`) });
    const a = {} as Client, b = {} as Client;
    setIdentity(a, { deviceId: 'dev-a', householdId: 'hh-a' });
    setIdentity(b, { deviceId: 'dev-b', householdId: 'hh-b' });
    const own = topics.lockEvent({ householdId: 'hh-a', deviceId: 'dev-a' }, 'front');
    expect(await publish(hook, a, own)).toBe('ok');
    expect(await publish(hook, b, own)).toMatch(/publish to/);
    expect(await publish(hook, a, own)).toBe('ok');
    expect(await publish(hook, b, own)).toMatch(/publish to/);
    // More topics than a connection keeps decisions for: each still decided right.
    for (let i = 0; i < 40; i++) {
      expect(await publish(hook, a, topics.lockEvent({ householdId: 'hh-a', deviceId: 'dev-a' }, `door-${i}`))).toBe('ok');
      expect(await publish(hook, a, topics.lockEvent({ householdId: 'hh-b', deviceId: 'dev-b' }, `door-${i}`))).toMatch(/publish to/);
    }
    expect(await publish(hook, b, own)).toMatch(/publish to/);
    expect(seen.filter((s) => s.startsWith('dev-b'))).toEqual([]);
    expect(seen).toHaveLength(42);
    const refused = (await metrics.aclRejected.get()).values.find((v) => v.labels.reason === 'foreign_prefix')?.value;
    expect(refused).toBe(43);
  });
});

import { describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe } from './acl.ts';

const me = { householdId: 'hh-1', deviceId: 'agent-1', connection: 1 };

describe('ACL: publish', () => {
  it.each([
    ['khoa/v1/hh-1/agent-1/status'],
    ['khoa/v1/hh-1/agent-1/register'],
    ['khoa/v1/hh-1/agent-1/heartbeat'],
    ['khoa/v1/hh-1/agent-1/lock/front/event'],
    ['khoa/v1/hh-1/agent-1/cam/cam-1/frame'],
    ['khoa/v1/hh-1/agent-1/cam/cam-1/state'],
    ['khoa/v1/hh-1/agent-1/reply/arm'],
  ])('allows its own %s', (topic) => {
    expect(mayPublish(me, topic).ok).toBe(true);
  });

  it.each([
    ['khoa/v1/hh-2/agent-1/lock/front/event', 'foreign_prefix'],
    ['khoa/v1/hh-1/agent-2/lock/front/event', 'foreign_prefix'],
    ['khoa/v1/hh-1/agent-1/cmd/arm', 'hub_only'],
    ['khoa/v1/hh-1/agent-1/lock/+/event', 'wildcard'],
    ['khoa/v1/hh-1/#', 'wildcard'],
    ['$SYS/broker/x', 'system_topic'],
    ['khoa/v2/hh-1/agent-1/status', 'not_contract'],
    ['khoa/v1/hh-1/agent-1/other', 'not_contract'],
    ['random/topic', 'not_contract'],
  ])('refuses %s (%s)', (topic, reason) => {
    expect(mayPublish(me, topic)).toEqual({ ok: false, reason });
  });

  it('refuses a connection without identity', () => {
    expect(mayPublish(undefined, 'khoa/v1/hh-1/agent-1/status')).toEqual({ ok: false, reason: 'no_identity' });
  });
});

describe('ACL: subscribe', () => {
  it.each([['khoa/v1/hh-1/agent-1/cmd/#'], ['khoa/v1/hh-1/agent-1/cmd/+'], ['khoa/v1/hh-1/agent-1/cmd/arm']])('allows its own commands %s', (filter) => {
    expect(maySubscribe(me, filter).ok).toBe(true);
  });

  it.each([
    ['khoa/v1/hh-1/agent-2/cmd/#', 'foreign_prefix'],
    ['khoa/v1/+/+/lock/+/event', 'foreign_prefix'],
    ['khoa/v1/hh-1/agent-1/status', 'foreign_prefix'],
    ['#', 'not_contract'],
    ['$SYS/#', 'system_topic'],
    ['khoa/v1/hh-1/agent-1/cmd/nonsense', 'not_contract'],
  ])('refuses %s (%s)', (filter, reason) => {
    expect(maySubscribe(me, filter)).toEqual({ ok: false, reason });
  });
});

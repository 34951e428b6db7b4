import { describe, expect, it } from 'vitest';
import { parseTopic, topics, TOPIC_ROOT } from './topics.ts';

const d = { householdId: 'hh-01', deviceId: 'agent_1' };

describe('topic builders', () => {
  it('build the contract topics', () => {
    expect(topics.status(d)).toBe('khoa/v1/hh-01/agent_1/status');
    expect(topics.lockEvent(d, 'front')).toBe('khoa/v1/hh-01/agent_1/lock/front/event');
    expect(topics.camFrame(d, 'cam1')).toBe('khoa/v1/hh-01/agent_1/cam/cam1/frame');
    expect(topics.cmd(d, 'arm')).toBe('khoa/v1/hh-01/agent_1/cmd/arm');
    expect(topics.cmdFilter(d)).toBe('khoa/v1/hh-01/agent_1/cmd/#');
  });

  it.each(['', 'A', 'a/b', 'a+', '#', '$sys', 'x'.repeat(65), 'ñ'])('refuse id %j that could escape its segment', (bad) => {
    expect(() => topics.status({ householdId: bad, deviceId: 'd' })).toThrow(TypeError);
    expect(() => topics.lockEvent(d, bad)).toThrow(TypeError);
  });

  it('round-trip through the parser', () => {
    const built = [
      topics.status(d),
      topics.register(d),
      topics.heartbeat(d),
      topics.lockEvent(d, 'l1'),
      topics.camFrame(d, 'c1'),
      topics.camState(d, 'c1'),
      topics.cmd(d, 'advisory'),
      topics.reply(d, 'disarm'),
    ];
    const kinds = built.map((t) => parseTopic(t)?.kind);
    expect(kinds).toEqual(['status', 'register', 'heartbeat', 'lock_event', 'cam_frame', 'cam_state', 'cmd', 'reply']);
    expect(parseTopic(topics.lockEvent(d, 'l1'))).toEqual({ ...d, kind: 'lock_event', lockId: 'l1' });
  });

  it('offer shared-subscription filters for scale-out', () => {
    expect(topics.hubFilters('hubs').frames).toBe(`$share/hubs/${TOPIC_ROOT}/+/+/cam/+/frame`);
    expect(topics.hubFilters().frames).toBe(`${TOPIC_ROOT}/+/+/cam/+/frame`);
  });
});

describe('parseTopic refuses everything outside the contract', () => {
  it.each([
    'khoa/v2/h/d/status',
    'khoa/v1/h/d',
    'khoa/v1/h/d/status/extra',
    'khoa/v1/H/d/status',
    'khoa/v1/+/d/status',
    'khoa/v1/h/#',
    'khoa/v1/h/d/lock/+/event',
    'khoa/v1/h/d/lock/l1/state',
    'khoa/v1/h/d/cmd/selfdestruct',
    'khoa/v1/h/d/cam/c1/frame/x',
    'khoa/v1//d/status',
    '/khoa/v1/h/d/status',
    '$SYS/broker/clients',
    'khoa/v1/h/d/' + 'x'.repeat(600),
  ])('%j', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});

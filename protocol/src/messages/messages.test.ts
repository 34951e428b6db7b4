import { describe, expect, it } from 'vitest';
import { lockEventValidator } from './lock-event.ts';
import { registerValidator } from './register.ts';
import { commandValidators } from './command.ts';
import { parseStatus } from './status.ts';
import { decodeFrame, encodeFrame, FRAME_MAX_BYTES } from './frame.ts';
import { parseJsonPayload } from '../validate.ts';
import { isKhoaError } from '../errors.ts';

const buf = (s: string) => Buffer.from(s, 'utf8');
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

describe('lock events', () => {
  it('accept a valid event', () => {
    const r = parseJsonPayload(lockEventValidator, buf('{"seq":7,"ts":1700000000000,"type":"forced"}'));
    expect(r).toEqual({ ok: true, value: { seq: 7, ts: 1700000000000, type: 'forced' } });
  });

  it.each([
    ['wrong JSON', buf('{"seq":1,')],
    ['wrong types', buf('{"seq":"1","ts":1,"type":"forced"}')],
    ['unknown type', buf('{"seq":1,"ts":1,"type":"exploded"}')],
    ['extra field', buf('{"seq":1,"ts":1,"type":"locked","admin":true}')],
    ['negative seq', buf('{"seq":-1,"ts":1,"type":"locked"}')],
    ['battery out of range', buf('{"seq":1,"ts":1,"type":"battery","battery":140}')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xc3, 0x28, 0x7d])],
    ['array', buf('[]')],
    ['null', buf('null')],
  ])('refuse %s with a coded error', (_name, payload) => {
    const r = parseJsonPayload(lockEventValidator, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(isKhoaError(r.error, 'KHOA_ERR_PAYLOAD_INVALID')).toBe(true);
    }
  });

  it('refuse 1 MB of garbage before parsing it', () => {
    const r = parseJsonPayload(lockEventValidator, Buffer.alloc(1024 * 1024, 0x41));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('KHOA_ERR_PAYLOAD_TOO_LARGE');
  });

  it('name the offending field', () => {
    const r = lockEventValidator.check({ seq: 1, ts: 'yesterday', type: 'locked' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.context.path).toBe('/ts');
  });
});

describe('registration', () => {
  const reg = { agentVersion: '0.1.0', ts: 1, locks: [{ id: 'front', kind: 'lock', driver: 'simulator' }], cameras: [{ id: 'cam1', source: 'onvif', width: 640, height: 360 }] };
  it('accept a valid registration', () => {
    expect(registerValidator.check(reg).ok).toBe(true);
  });
  it('refuse camera credentials or URLs leaking into it', () => {
    const leaky = { ...reg, cameras: [{ id: 'cam1', source: 'onvif', password: 'hunter2' }] };
    expect(registerValidator.check(leaky).ok).toBe(false);
  });
  it('refuse ids that are not topic-safe', () => {
    expect(registerValidator.check({ ...reg, locks: [{ id: 'front/door', kind: 'lock', driver: 'x' }] }).ok).toBe(false);
  });
});

describe('commands and status', () => {
  it('validate command payloads by name', () => {
    expect(commandValidators.arm.check({ transaction: 't1', mode: 'away' }).ok).toBe(true);
    expect(commandValidators.arm.check({ transaction: 't1', mode: 'party' }).ok).toBe(false);
    expect(commandValidators.snapshot.check({ transaction: 't1' }).ok).toBe(false);
  });
  it('parse only the two status literals', () => {
    expect(parseStatus(buf('online'))).toBe('online');
    expect(parseStatus(buf('offline'))).toBe('offline');
    expect(parseStatus(buf('ONLINE'))).toBeNull();
    expect(parseStatus(buf('online '))).toBeNull();
  });
});

describe('frame envelope', () => {
  const header = { seq: 3, ts: 1700000000000, width: 640, height: 360, keyframe: false, motion: true, boxes: [[1, 2, 30, 40]] };

  it('round-trip header and JPEG without copying the JPEG', () => {
    const wire = encodeFrame(header, jpeg);
    const r = decodeFrame(wire);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.header).toEqual(header);
      expect(Buffer.compare(r.value.jpeg, jpeg)).toBe(0);
      expect(r.value.jpeg.buffer).toBe(wire.buffer);
    }
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['no magic', Buffer.concat([buf('XX'), jpeg])],
    ['wrong version', Buffer.from([0x4b, 0x46, 9, 0, 0])],
    ['header length past the end', Buffer.from([0x4b, 0x46, 1, 0xff, 0xff, 0x7b])],
    ['header not JSON', Buffer.concat([Buffer.from([0x4b, 0x46, 1, 0, 3]), buf('abc'), jpeg])],
    ['body not a JPEG', encodeFrame(header, buf('GIF89a not a jpeg'))],
  ])('refuse %s', (_name, wire) => {
    const r = decodeFrame(wire);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('KHOA_ERR_FRAME_INVALID');
  });

  it('refuse a header that breaks its schema', () => {
    const r = decodeFrame(encodeFrame({ ...header, width: 0 }, jpeg));
    expect(r.ok).toBe(false);
  });

  it('refuse oversized frames before looking inside', () => {
    const r = decodeFrame(Buffer.alloc(FRAME_MAX_BYTES + 1));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('KHOA_ERR_PAYLOAD_TOO_LARGE');
  });
});

import { describe, expect, it } from 'vitest';
import { nightStartedAt } from './night.ts';

const vn = (local: string) => Date.parse(`${local}+07:00`);

describe('household night window', () => {
  it('knows a night that crosses midnight, in the household zone', () => {
    expect(nightStartedAt(vn('2026-11-23T21:59:00'), '22:00', '05:30', 'Asia/Ho_Chi_Minh')).toBeNull();
    expect(nightStartedAt(vn('2026-11-23T22:10:00'), '22:00', '05:30', 'Asia/Ho_Chi_Minh')).toBe(vn('2026-11-23T22:00:00'));
    expect(nightStartedAt(vn('2026-11-24T03:00:00'), '22:00', '05:30', 'Asia/Ho_Chi_Minh')).toBe(vn('2026-11-23T22:00:00'));
    expect(nightStartedAt(vn('2026-11-24T05:30:00'), '22:00', '05:30', 'Asia/Ho_Chi_Minh')).toBeNull();
    expect(nightStartedAt(vn('2026-11-24T12:00:00'), '22:00', '05:30', 'Asia/Ho_Chi_Minh')).toBeNull();
  });

  it('handles a night inside one day and an empty night', () => {
    expect(nightStartedAt(vn('2026-11-24T01:30:00'), '00:30', '04:00', 'Asia/Ho_Chi_Minh')).toBe(vn('2026-11-24T00:30:00'));
    expect(nightStartedAt(vn('2026-11-24T01:30:00'), '03:00', '03:00', 'Asia/Ho_Chi_Minh')).toBeNull();
  });

  it('reads the clock of the given zone, not the machine', () => {
    // 22:10 in Hanoi is 15:10 UTC: night in Hanoi, afternoon in UTC.
    expect(nightStartedAt(vn('2026-11-23T22:10:00'), '22:00', '05:30', 'UTC')).toBeNull();
  });
});

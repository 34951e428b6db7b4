import { describe, expect, it } from 'vitest';
import { isKhoaError } from '@khoa/protocol';
import { cameraConfigValidator } from './config-schema.ts';
import { createPipeline } from './index.ts';

describe('camera config schema', () => {
  it('accepts sensible settings', () => {
    const ok = cameraConfigValidator.check({
      sensitivity: 0.7,
      masks: [[[0, 0], [0.2, 0], [0.2, 0.2]]],
      zones: [[[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]]],
      motion: { blindedAfterMs: 10_000 },
      tracker: { confirmFrames: 4, confirmScore: 0.55 },
    });
    expect(ok.ok).toBe(true);
  });

  it.each([
    ['sensitivity out of range', { sensitivity: 2 }],
    ['unknown key', { sensitivty: 0.5 }],
    ['polygon of two points', { zones: [[[0, 0], [1, 1]]] }],
    ['point outside the frame', { masks: [[[0, 0], [1.5, 0], [1, 1]]] }],
    ['unknown tracker key', { tracker: { confirm: 3 } }],
  ])('refuses %s with KHOA_ERR_CONFIG_INVALID', (_name, config) => {
    const r = cameraConfigValidator.check(config);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('KHOA_ERR_CONFIG_INVALID');
  });

  it('is enforced by createPipeline before any worker starts', () => {
    let err: unknown;
    try {
      createPipeline({ cameraDefaults: { sensitivity: -1 } });
    } catch (e) {
      err = e;
    }
    expect(isKhoaError(err, 'KHOA_ERR_CONFIG_INVALID')).toBe(true);
    expect(() => createPipeline({ workers: 0 })).toThrow(/workers/);
  });
});

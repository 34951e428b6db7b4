import { describe, expect, it } from 'vitest';
import { errorCatalogue, httpStatusOf, isKhoaError, KhoaError, type KhoaErrorCode } from './errors.ts';

describe('error catalogue', () => {
  it('every code is namespaced and documented', () => {
    for (const [code, message] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^KHOA_ERR_[A-Z_]+$/);
      expect(message.length).toBeGreaterThan(5);
    }
  });

  it('HTTP statuses only name codes that exist and are client or server errors', () => {
    for (const [code, status] of Object.entries(httpStatusOf)) {
      expect(code in errorCatalogue).toBe(true);
      expect(status).toBeGreaterThanOrEqual(400);
    }
  });

  it('errors carry code, detail and context, and serialise without the stack', () => {
    const err = new KhoaError('KHOA_ERR_PORT_IN_USE', '1883 is taken', { setting: 'mqtt.port', port: 1883 });
    expect(err.message).toBe('a port is already in use: 1883 is taken');
    expect(isKhoaError(err)).toBe(true);
    expect(isKhoaError(err, 'KHOA_ERR_CONFIG_INVALID' as KhoaErrorCode)).toBe(false);
    expect(JSON.parse(JSON.stringify(err))).toEqual({ code: 'KHOA_ERR_PORT_IN_USE', message: err.message, context: { setting: 'mqtt.port', port: 1883 } });
    expect(isKhoaError(new Error('x'))).toBe(false);
  });
});

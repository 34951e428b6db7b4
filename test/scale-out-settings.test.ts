import { describe, expect, it } from 'vitest';
import { loadSettings } from '../hub/src/settings/load.ts';

/** The scale-out settings section (mqtt.external) and its KHOA_MQTT_EXTERNAL_* variables. */
describe('scale-out settings', () => {
  it('come from the environment, with the share group and session expiry defaulted', () => {
    const s = loadSettings({ env: { KHOA_MQTT_EXTERNAL_URL: 'mqtt://mqtt:1883', KHOA_MQTT_EXTERNAL_PASSWORD: 'secret', KHOA_MQTT_EXTERNAL_CLIENT_ID: 'hub-a' } });
    expect(s.mqtt.external).toEqual({ url: 'mqtt://mqtt:1883', password: 'secret', clientId: 'hub-a', shareGroup: 'khoa-hubs', sessionExpiryS: 3600 });
  });

  it('are absent (embedded mode) unless a URL is given', () => {
    expect(loadSettings({ env: {} }).mqtt.external).toBeUndefined();
  });

  it.each([
    ['a password without a URL', { KHOA_MQTT_EXTERNAL_PASSWORD: 'secret' }],
    ['a URL of another scheme', { KHOA_MQTT_EXTERNAL_URL: 'http://mqtt:1883' }],
    ['a share group that would break the $share filter', { KHOA_MQTT_EXTERNAL_URL: 'mqtt://mqtt', KHOA_MQTT_EXTERNAL_SHARE_GROUP: 'a/b' }],
    ['a client id with a wildcard', { KHOA_MQTT_EXTERNAL_URL: 'mqtt://mqtt', KHOA_MQTT_EXTERNAL_CLIENT_ID: 'hub+1' }],
  ])('refuse %s with a coded error', (_what, env) => {
    expect(() => loadSettings({ env })).toThrow(expect.objectContaining({ code: 'KHOA_ERR_CONFIG_INVALID' }));
  });
});

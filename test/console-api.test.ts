import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startConsoleFixture, type ConsoleFixture } from './console-fixture.ts';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await startConsoleFixture();
});
afterAll(async () => {
  await f?.close();
});

describe('console sessions', () => {
  it('logs in, reads the session, logs out', async () => {
    const c = new ApiClient(f.base);
    const r = await c.login('police.a');
    expect(r.status).toBe(200);
    const setCookie = r.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/khoa_session=[A-Za-z0-9_-]{43}; .*HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const s = await (await c.get('/api/session')).json();
    expect(s).toMatchObject({ username: 'police.a', role: 'officer', areaId: 'xa-a', areaName: 'Xã Phượng Sơn' });
    expect((await c.post('/api/logout')).status).toBe(200);
    expect((await c.get('/api/session')).status).toBe(401);
  });
});

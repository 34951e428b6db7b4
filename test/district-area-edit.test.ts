import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startConsoleFixture, type ConsoleFixture } from './console-fixture.ts';
import { launchChromium, loginThroughPage } from './console-browser.ts';

// Issue 7: an administrator edits one area in the admin page; the change is a new version of
// the area (history kept for past reports), and only administrators may make it.
let f: ConsoleFixture;
let admin: ApiClient;
beforeAll(async () => {
  f = await startConsoleFixture();
  admin = new ApiClient(f.base);
  expect((await admin.login('admin')).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await f?.close();
});

const versions = (id: string) => f.t.hub.db.kysely.selectFrom('area_versions' as never).selectAll().where('area_id' as never, '=', id as never).orderBy('valid_from' as never).execute() as Promise<Array<Record<string, unknown>>>;

describe('editing one area', () => {
  it('renames and reclassifies a commune and sets its census count, keeping the old version', async () => {
    const res = await admin.req('PUT', '/api/district/areas/xa-a', { name: 'Xã Phượng Sơn (mới)', kind: 'urban', households: 1200 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ changed: 1 });
    const v = await versions('xa-a');
    const current = v.find((x) => x.valid_to === null)!;
    expect(current).toMatchObject({ name: 'Xã Phượng Sơn (mới)', kind: 'urban', households: 1200, parent_id: 'tinh', level: 'commune' });
    // Fields not sent keep their values; a later edit of one field changes only that field.
    expect((await admin.req('PUT', '/api/district/areas/xa-a', { agencies: 4, agenciesCovered: 1 })).status).toBe(200);
    const after = (await versions('xa-a')).find((x) => x.valid_to === null)!;
    expect(after).toMatchObject({ name: 'Xã Phượng Sơn (mới)', kind: 'urban', households: 1200, agencies: 4, agencies_covered: 1 });
    expect((await versions('xa-a')).filter((x) => x.valid_to !== null).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses what an import refuses, with the reason, and changes nothing', async () => {
    // A count on a village below a commune that already has one would count households twice.
    const twice = await admin.req('PUT', '/api/district/areas/thon-a', { households: 50 });
    expect(twice.status).toBe(400);
    const covered = await admin.req('PUT', '/api/district/areas/xa-b', { agencies: 2, agenciesCovered: 5 });
    expect(covered.status).toBe(400);
    expect((await versions('xa-b')).every((x) => x.agencies_covered !== 5)).toBe(true);
  });

  it('refuses bad bodies, unknown areas and every role but admin', async () => {
    expect((await admin.req('PUT', '/api/district/areas/xa-a', {})).status).toBe(400);
    expect((await admin.req('PUT', '/api/district/areas/xa-a', { households: -1 })).status).toBe(400);
    expect((await admin.req('PUT', '/api/district/areas/xa-a', { name: 'x', password: 'y' })).status).toBe(400);
    expect((await admin.req('PUT', '/api/district/areas/khong-co', { name: 'x' })).status).toBe(404);
    for (const username of ['district', 'police.a']) {
      const c = new ApiClient(f.base);
      await c.login(username);
      expect((await c.req('PUT', '/api/district/areas/xa-a', { name: 'x' })).status).toBe(403);
    }
    expect((await new ApiClient(f.base).req('PUT', '/api/district/areas/xa-a', { name: 'x' })).status).toBe(401);
  });
});

describe('the edit form in Chromium', () => {
  it('an administrator renames a commune from the district page', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await loginThroughPage(page, f.base, 'admin', '/audit.html');
      await page.goto(`${f.base}/district.html?area=xa-b`);
      await page.locator('#edit-form').waitFor({ timeout: 15_000 });
      await page.fill('#edit-name', 'Xã Quý Sơn Mới');
      await page.selectOption('#edit-kind', 'urban');
      await page.click('#edit-form button[type=submit]');
      await expect.poll(() => page.locator('#edit-form h2').textContent(), { timeout: 15_000 }).toContain('Xã Quý Sơn Mới');
      const current = (await versions('xa-b')).find((x) => x.valid_to === null)!;
      expect(current).toMatchObject({ name: 'Xã Quý Sơn Mới', kind: 'urban' });
    } finally {
      await browser.close();
    }
  }, 90_000);
});

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { encodeFrame, topics } from '@khoa/protocol';
import { addDevice } from '../hub/src/storage/devices.ts';
import { hashDevicePassword } from '../hub/src/broker/credentials.ts';
import { waitFor } from '../hub/src/testing/harness.ts';
import { ApiClient, startConsoleFixture, type ConsoleFixture } from './console-fixture.ts';
import { launchChromium, loginThroughPage } from './console-browser.ts';

const SHOTS = join(import.meta.dirname, '.cache', 'screenshots');
const dev = { householdId: 'ho-a', deviceId: 'agent-a' };

let f: ConsoleFixture;
let browser: Browser;
let agent: MqttClient;
const commands: string[] = [];
const advisories: Array<{ title: string }> = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  f = await startConsoleFixture();
  const password = randomBytes(24).toString('base64url');
  await addDevice(f.t.hub.db.kysely, { id: dev.deviceId, householdId: dev.householdId, credentialHash: await hashDevicePassword(password) });
  [browser, agent] = await Promise.all([launchChromium(), f.t.connect(dev.deviceId, password)]);
  // The agent side of arm/disarm: a real MQTT client that answers each command with its transaction.
  await agent.subscribeAsync(topics.cmdFilter(dev), { qos: 1 });
  agent.on('message', (topic, payload) => {
    const name = topic.split('/').pop()!;
    commands.push(name);
    if (name === 'advisory') advisories.push(JSON.parse(payload.toString()) as { title: string });
    if (name !== 'arm' && name !== 'disarm') return;
    const { transaction } = JSON.parse(payload.toString()) as { transaction: string };
    // A short delay, like a real agent driving its locks, so the page's "pending" is visible.
    setTimeout(() => agent.publish(topics.reply(dev, name), JSON.stringify({ transaction, ok: true, state: { armed: name === 'arm' } }), { qos: 1 }), 300);
  });
  agent.publish(topics.status(dev), 'online', { qos: 1, retain: true });
  agent.publish(topics.lockEvent(dev, 'front'), JSON.stringify({ seq: 1, ts: Date.now(), type: 'locked' }), { qos: 1 });
  agent.publish(topics.camState(dev, 'cong'), JSON.stringify({ state: 'streaming', ts: Date.now() }), { qos: 1, retain: true });
  await waitFor(async () => (await f.db.selectFrom('locks').select('lock_id').where('device_id', '=', dev.deviceId).executeTakeFirst()) !== undefined, 5000, 'lock state');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await f?.close();
});

describe('household page in Chromium', { timeout: 60_000 }, () => {
  it('arms through the agent, sends a tip the officer takes up, and an SOS', async () => {
    const hctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const home = await hctx.newPage();
    await loginThroughPage(home, f.base, 'nha.a', '/household.html');
    await home.waitForSelector('[data-lock-id=front] .pill:text("Đã khóa")');

    await home.click('#arm-btn');
    await home.waitForSelector('#arm-status:text("Đang chờ thiết bị xác nhận…")');
    await home.waitForSelector('#arm-status:text("Thiết bị đã xác nhận.")');
    await home.waitForSelector('#armed-state:text("Đang bật bảo vệ")');
    expect(commands).toContain('arm');
    expect((await f.db.selectFrom('households').select('armed').where('id', '=', 'ho-a').executeTakeFirstOrThrow()).armed).toBe(1);

    const pctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const police = await pctx.newPage();
    await loginThroughPage(police, f.base, 'police.a', '/console.html');
    await police.waitForSelector('#live-dot.on');

    await home.fill('#tip-text', 'Có hai người lạ đi xe máy không biển số hỏi mua chó');
    await home.setInputFiles('#tip-photo', join(import.meta.dirname, 'fixtures/media/building.jpg'));
    await home.click('#tip-form button[type=submit]');
    const tipRow = police.locator('.alert-item[data-kind=tip]');
    await tipRow.waitFor({ timeout: 5000 });
    await tipRow.click();
    await police.waitForSelector('.tip-box p:text("Có hai người lạ")');
    await police.click('button[data-action=acknowledge]');
    // The household sees its tip taken up.
    await home.waitForSelector('#my-alerts [data-kind=tip] .badge:text("Đã tiếp nhận")', { timeout: 5000 });

    home.once('dialog', (d) => void d.accept());
    await home.click('#sos-btn');
    await police.locator('.alert-item[data-kind=sos]').waitFor({ timeout: 5000 });
    await home.evaluate(() => window.scrollTo(0, 0));
    await home.screenshot({ path: join(SHOTS, 'household.png'), fullPage: true });
    await police.screenshot({ path: join(SHOTS, 'console-tip.png') });

    await home.click('#arm-btn');
    await home.waitForSelector('#armed-state:text("Đã tắt bảo vệ")');
    expect(commands).toContain('disarm');
    await hctx.close();
    await pctx.close();
  });

  it('a district official sees aggregates and cannot open a snapshot', async () => {
    const snapDir = join(f.t.hub.settings.dataDir, 'snapshots');
    mkdirSync(snapDir, { recursive: true });
    const a = await f.t.hub.raise({ kind: 'person', householdId: 'ho-a', deviceId: dev.deviceId, subject: 'cam9', snapshotPath: 'snapshots/none.jpg' });
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await loginThroughPage(page, f.base, 'district', '/stats.html');
    await page.waitForSelector('#tiles .card');
    expect(await page.content()).not.toContain('Số 12');
    const r = await page.request.get(`${f.base}/api/alerts/${a!.id}/snapshot`);
    expect(r.status()).toBe(403);
    expect((await page.request.get(`${f.base}/api/alerts`)).status()).toBe(403);
    await page.goto(`${f.base}/console.html`);
    await page.waitForURL('**/stats.html');
    await page.screenshot({ path: join(SHOTS, 'stats.png') });
    await ctx.close();
  });
});

describe('advisories, survey, sharing and the audit log through the pages', { timeout: 60_000 }, () => {
  it('an advisory reaches the agent and the household page; a survey is filled on a phone; sharing is audited', async () => {
    const pctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    pctx.setDefaultTimeout(8000);
    const police = await pctx.newPage();
    await loginThroughPage(police, f.base, 'police.a', '/console.html');
    await police.goto(`${f.base}/advisories.html`);
    await police.fill('#adv-title', 'Phòng chống trộm cắp dịp cuối năm');
    await police.fill('#adv-body', 'Bà con khóa cổng, không để xe ngoài sân qua đêm.');
    await police.click('form button[type=submit]');
    await police.waitForSelector('.advisory h3:text("Phòng chống trộm cắp dịp cuối năm")');
    await waitFor(() => advisories.some((a) => a.title === 'Phòng chống trộm cắp dịp cuối năm'), 5000, 'advisory on MQTT');
    await police.evaluate(() => window.scrollTo(0, 0));
    await police.screenshot({ path: join(SHOTS, 'advisories.png'), fullPage: true });

    await police.goto(`${f.base}/survey.html`);
    await police.waitForSelector('#survey-household option[value=ho-a]', { state: 'attached' });
    await police.selectOption('#survey-household', 'ho-a');
    for (const box of await police.locator('.checklist input[type=checkbox]').all()) await box.check();
    await police.click('form button[type=submit]');
    await police.waitForSelector('#survey-household option[value=ho-a]:text("✔")', { state: 'attached' });
    await police.evaluate(() => window.scrollTo(0, 0));
    await police.screenshot({ path: join(SHOTS, 'survey.png'), fullPage: true });
    const row = await f.db.selectFrom('surveys').selectAll().where('household_id', '=', 'ho-a').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ passed: 1, by: 'police.a' });

    const hctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    hctx.setDefaultTimeout(8000);
    const home = await hctx.newPage();
    await loginThroughPage(home, f.base, 'nha.a', '/household.html');
    await home.waitForSelector('#advisories h3:text("Phòng chống trộm cắp dịp cuối năm")');
    await home.selectOption('#share-minutes', '60');
    await home.click('#share button.primary');
    await home.waitForSelector('#share-state.notice');

    // While shared, the officer sees the camera's latest frame from an alert of the household.
    const jpeg = readFileSync(join(import.meta.dirname, 'fixtures/media/home.jpg'));
    agent.publish(topics.camFrame(dev, 'cong'), encodeFrame({ seq: 1, ts: Date.now(), width: 512, height: 512, keyframe: true, motion: false }, jpeg), { qos: 0 });
    const tipAlert = (await f.t.hub.raise({ kind: 'tamper', householdId: 'ho-a', deviceId: dev.deviceId, subject: 'cong' }))!;
    await police.setViewportSize({ width: 1280, height: 800 });
    await police.goto(`${f.base}/console.html?status=all`);
    await police.selectOption('#f-status', 'all');
    await police.click(`.alert-item[data-alert-id="${tipAlert.id}"]`);
    await police.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#shared-frame');
      return !!img && img.complete && img.naturalWidth > 0;
    });
    await police.screenshot({ path: join(SHOTS, 'console-shared-camera.png') });

    const actx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const admin = await actx.newPage();
    await loginThroughPage(admin, f.base, 'admin', '/audit.html');
    await admin.waitForSelector('#audit-rows tr[data-action="camera.share"]');
    await admin.waitForSelector('#audit-rows tr[data-action="shared_camera.view"]');
    await admin.screenshot({ path: join(SHOTS, 'audit.png') });
    // Accounts: the generated password is shown once and works (with the change it demands).
    await admin.goto(`${f.base}/users.html`);
    await admin.fill('#u-username', 'canbo.moi');
    await admin.selectOption('#u-role', 'officer');
    await admin.fill('#u-scope', 'xa-b');
    await admin.click('form button[type=submit]');
    const generated = (await admin.textContent('#created-password'))!.trim();
    expect(generated).toMatch(/^[A-Za-z0-9]{16}$/);
    await admin.screenshot({ path: join(SHOTS, 'users.png') });
    expect((await new ApiClient(f.base).login('canbo.moi', generated)).status).toBe(200);
    await Promise.all([pctx.close(), hctx.close(), actx.close()]);
  });
});

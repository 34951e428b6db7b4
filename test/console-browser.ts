import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PASSWORD } from './console-fixture.ts';

/** Debian's chromium when installed (CI installs it), else @sparticuz/chromium's bundled build. */
export async function launchChromium(): Promise<Browser> {
  let executablePath = '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    const name = '@sparticuz/chromium';
    executablePath = await ((await import(name)) as { default: { executablePath(): Promise<string> } }).default.executablePath();
  }
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
}

/** Signs in through the login page like a person would, and waits for the role's page. */
export async function loginThroughPage(page: Page, base: string, username: string, landing: string): Promise<void> {
  await page.goto(`${base}/index.html`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`**${landing}`);
}

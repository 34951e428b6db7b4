import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath } from '../hub/src/coverage/chromium-path.ts';
import { PASSWORD } from './console-fixture.ts';

/** Debian's chromium when installed (CI installs it), else @sparticuz/chromium's bundled build: the hub's own choice. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
}

/** Signs in through the login page like a person would, and waits for the role's page. */
export async function loginThroughPage(page: Page, base: string, username: string, landing: string): Promise<void> {
  await page.goto(`${base}/index.html`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(`**${landing}`);
}

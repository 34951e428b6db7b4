import { KhoaError } from '@khoa/protocol';
import { chromiumPath } from './chromium-path.ts';

/** A headless print on a hub: no sandbox user namespaces in containers, nothing fetched from the network. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/**
 * Prints a self-contained report page to PDF with Chromium. The page loads nothing: every
 * request it tries is refused, so a report cannot leak out or wait on the network.
 */
export function htmlToPdf(html: string, timeoutMs = 60_000): Promise<Buffer> {
  // One Chromium at a time: each takes 100–200 MB, and a hub on a small machine also runs the
  // frame pipeline. Requests queue behind the print in progress.
  const run = queue.then(() => print(html, timeoutMs));
  queue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

let queue: Promise<void> = Promise.resolve();

async function print(html: string, timeoutMs: number): Promise<Buffer> {
  const executable = await chromiumPath();
  // Loaded on the first print, not with the hub: playwright-core is a large bundle that every
  // hub start (and every restart after a crash) would otherwise parse for a rare report.
  const { chromium } = await import('playwright-core');
  let browser;
  try {
    browser = await chromium.launch({ executablePath: executable, args: ARGS, timeout: timeoutMs });
  } catch (err) {
    throw new KhoaError('KHOA_ERR_CONFIG_INVALID', `cannot start Chromium at ${executable} to print the report: ${(err as Error).message.split('\n')[0]}`, { executable }, { cause: err });
  }
  try {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load', timeout: timeoutMs });
    return await page.pdf({ format: 'A4', landscape: true, printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}

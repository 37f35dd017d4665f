import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Headless Chromium from the Debian package (never a browser download), for the *.browser tests. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether Chromium is here. When it is not, says loudly which file skips and what goes unchecked, so a
 * skipped browser test is never silent.
 */
export function chromiumOrWarn(file: string, unchecked: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const bar = '!'.repeat(91);
  console.warn(
    [
      '',
      bar,
      `!!! SKIPPING ${file}: ${CHROMIUM} does not exist, so ${unchecked} is NOT checked in a browser.`,
      '!!! Install it with: apt-get install -y --no-install-recommends chromium',
      bar,
      '',
    ].join('\n'),
  );
  return false;
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

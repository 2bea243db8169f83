import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium, or the one CHROMIUM_PATH names. */
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** CI installs chromium (.ci/run) and must fail without it; elsewhere the browser tests are skipped when it is missing. */
export const haveChromium = existsSync(executablePath) || process.env.CI === 'true';

/** A headless chromium that talks to nothing but what the test serves; `args` are added to the quiet defaults. */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
}

import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findOpenApiFile } from '../../src/http/docs.js';
import { haveChromium, launchChromium } from '../helpers/browser.js';
import { useServer } from '../helpers/use-server.js';

const doc = parse(readFileSync(findOpenApiFile(), 'utf8')) as { paths: Record<string, Record<string, { operationId: string; summary: string }>> };
const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops));

describe.skipIf(!haveChromium)('/docs in a real browser', () => {
  const running = useServer({ surface: 'library' });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('renders Swagger UI over openapi.yaml with every operation', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(request.url()));
    await page.goto(`${running.baseUrl}/docs`, { waitUntil: 'load' });
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    expect(await page.locator('body').innerText()).toContain('redis-mcp-server REST API');
    // A long document is rendered only near the viewport: scroll through it, reading what is shown.
    let text = '';
    for (let step = 0; step < 200; step++) {
      text += await page.locator('body').innerText();
      if (operations.every((op) => text.includes(op.operationId))) break;
      await page.mouse.wheel(0, 1200);
      await page.waitForTimeout(150);
    }
    for (const op of operations) {
      expect(text, op.operationId).toContain(op.operationId);
      expect(text, op.operationId).toContain(op.summary);
    }
    await page.screenshot({ path: '/tmp/redis-mcp-docs.png' });
    // Swagger UI's assets are served locally: nothing may come from the network.
    expect(failed).toEqual([]);
    await page.close();
  });

  it('serves the document itself at /openapi.yaml', async () => {
    const response = await fetch(`${running.baseUrl}/openapi.yaml`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/yaml/);
    expect(await response.text()).toBe(readFileSync(findOpenApiFile(), 'utf8'));
    // The UI's copy points "Try it out" at this server.
    const forUi = (await (await fetch(`${running.baseUrl}/docs/json`)).json()) as { servers: { url: string }[] };
    expect(forUi.servers).toEqual([{ url: running.baseUrl }]);
  });
});

// The dashboard scenarios every backend runs in a real browser: the app side uses the provider
// API, the operator side clicks through the dashboard, and each case checks what the store holds.
import { randomBytes } from 'node:crypto';
import { type Message, type MessageQueue, NonRetryableError, type QueueOptions } from '@mqkit/core';
import { createActivityTracker } from '@mqkit/dashboard';
import { pino } from 'pino';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../conformance/helpers.js';
import {
  AUTHORISED,
  consoleErrors,
  type Mounted,
  mount,
  screenshot,
  seriousViolations,
} from './browser.js';

const silent = pino({ level: 'silent' });

/** A backend of the scenarios: opens a queue on its store (the scenario closes it). */
export type OpenQueue = (options: QueueOptions) => MessageQueue | Promise<MessageQueue>;

/**
 * Defines the browser cases for one backend. `browser` is the shared chromium; `shots` prefixes
 * the screenshot names (only one backend needs to write them).
 */
export function defineDashboardScenario(
  label: string,
  open: OpenQueue,
  browser: () => Browser,
  shots?: string,
): void {
  const namespace = `dash${randomBytes(4).toString('hex')}`;
  const queueName = 'orders';
  let mq: MessageQueue;
  let site: Mounted;
  let context: BrowserContext;
  let dead: string[];
  const activity = createActivityTracker();

  /** Dead-letters 3 messages (`bad` ×2, `worse` ×1) and leaves 2 ready and 1 delayed. */
  async function seed(): Promise<void> {
    dead = (
      await mq.publish(queueName, [
        { type: 'bad', payload: { n: 1, password: 'hunter2' } },
        { type: 'bad', payload: { n: 2 } },
        { type: 'worse', payload: { n: 3 } },
      ])
    ).ids;
    const consumer = mq.consume(queueName, async (messages) => {
      throw new NonRetryableError(`boom ${(messages[0] as Message<unknown>).type}`);
    });
    await waitFor(
      async () => (await mq.deadLetters.count(queueName)) === 3,
      20_000,
      '3 dead letters',
    );
    await consumer.stop();
    await mq.publish(queueName, [
      { type: 'ok', payload: {} },
      { type: 'ok', payload: {} },
      { type: 'later', payload: {}, delayMs: 3_600_000 },
    ]);
    // A healthy queue beside it: 4 handled (throughput), 1 left ready.
    await mq.publish(
      'emails',
      Array.from({ length: 4 }, () => ({ type: 'welcome', payload: {} })),
    );
    let sent = 0;
    const mailer = mq.consume('emails', async (messages) => {
      sent += messages.length;
    });
    await waitFor(() => sent === 4, 20_000, '4 emails handled');
    await mailer.stop();
    await mq.publish('emails', { type: 'welcome', payload: {} });
  }

  beforeAll(async () => {
    mq = await open({ namespace, logger: silent, lifecycle: activity });
    site = await mount({ queues: mq, logger: silent, showPayloads: true, activity });
    await seed();
    context = await browser().newContext({
      extraHTTPHeaders: AUTHORISED,
      viewport: { width: 1280, height: 800 },
    });
  });
  afterAll(async () => {
    await context?.close();
    await site?.close();
    await mq?.close();
  });

  it(`[${label}] the overview shows the counts the store has; every page passes axe with no console error`, async () => {
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${site.url}/`);
    const stats = await mq.stats(queueName);
    const row = page.locator(`tr[data-name="${queueName}"]`);
    for (const key of ['ready', 'delayed', 'inFlight', 'deadLettered'] as const) {
      await expect(row.locator(`[data-stat="${key}"]`).textContent()).resolves.toBe(
        String(stats[key]),
      );
    }
    expect([stats.ready, stats.delayed, stats.deadLettered]).toEqual([2, 1, 3]);
    expect(await row.locator('td').last().textContent()).toContain('dead letters');
    // Sorted by attention: the failing queue first; throughput of the healthy one from samples.
    expect(
      await page
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name'))),
    ).toEqual([queueName, 'emails']);
    expect(await row.locator('td').nth(6).textContent()).toBe('100.0 %');
    expect(await row.locator('td').last().textContent()).toContain('failing');
    const emails = page.locator('tr[data-name="emails"]');
    expect(await emails.locator('[data-stat="ready"]').textContent()).toBe('1');
    expect(Number(await emails.locator('td').nth(5).textContent())).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await screenshot(page, `${shots}-overview`);
    // The filter narrows the table as one types (and works as a plain GET form without script).
    await page.getByLabel('Filter queues by name').fill('ema');
    await expect(row.isHidden()).resolves.toBe(true);
    await page.getByLabel('Filter queues by name').fill('');
    await expect(row.isVisible()).resolves.toBe(true);

    // Keyboard: the queue link is reachable with Tab and opens the queue page with Enter.
    await page.locator(`tr[data-name="${queueName}"] a`).first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/queues/${queueName}`);
    expect(await page.locator('[data-stat="deadLettered"]').textContent()).toBe('3');
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await screenshot(page, `${shots}-queue`);

    await page.goto(`${site.url}/queues/${queueName}/dead-letters`);
    expect(await page.locator('tr[data-id]').count()).toBe(3);
    // "Select every dead letter on this page" ticks each row's box (the script's one job here).
    await page.getByLabel('Select every dead letter on this page').check();
    expect(await page.locator('input[name="ids"]:checked').count()).toBe(3);
    await page.getByLabel('Select every dead letter on this page').uncheck();
    expect(await page.locator('input[name="ids"]:checked').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await screenshot(page, `${shots}-dead-letters`);

    // Filter by type, then by error text: only the matching entries are listed.
    await page.getByLabel('Type').fill('worse');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.waitForURL(/type=worse/);
    expect(await page.locator('tr[data-id]').count()).toBe(1);
    await page.goto(`${site.url}/queues/${queueName}/dead-letters?error=BOOM%20BAD`);
    expect(await page.locator('tr[data-id]').count()).toBe(2);

    // Inspect: error, attempts, and the payload with the secret-looking field redacted.
    await page.goto(`${site.url}/queues/${queueName}/dead-letters/${dead[0]}`);
    expect(await page.locator('dd.err').textContent()).toBe('NonRetryableError: boom bad');
    const payload = await page.locator('pre[data-payload]').textContent();
    expect(payload).toContain('"n": 1');
    expect(payload).toContain('[redacted]');
    expect(payload).not.toContain('hunter2');
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await screenshot(page, `${shots}-inspect`);

    // Phone width: the overview still fits and passes axe.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${site.url}/`);
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - window.innerWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    if (shots) await screenshot(page, `${shots}-overview-phone`);
    await page.goto(`${site.url}/queues/${queueName}/dead-letters`);
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await screenshot(page, `${shots}-dead-letters-phone`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it(`[${label}] replaying a dead letter from the browser puts it back (in the store) and a consumer handles it`, async () => {
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${site.url}/queues/${queueName}/dead-letters`);
    await page.getByLabel(`Select ${dead[1]}`).check();
    await page.getByRole('button', { name: 'Replay selected' }).click();
    // The confirmation step names the count; nothing has changed yet.
    await expect(page.locator('h1').textContent()).resolves.toBe(
      `Replay 1 dead letter of ${queueName}?`,
    );
    expect(await seriousViolations(page)).toEqual([]);
    if (shots) await screenshot(page, `${shots}-confirm`);
    expect(await mq.deadLetters.count(queueName)).toBe(3);
    await page.getByRole('button', { name: 'Yes, replay 1' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Replayed 1 dead letter.');
    expect((await mq.deadLetters.list(queueName)).map((d) => d.message.id).sort()).toEqual(
      [dead[0], dead[2]].sort(),
    );
    expect((await mq.stats(queueName)).ready).toBe(3);
    const handled: string[] = [];
    const consumer = mq.consume(queueName, async (messages) => {
      for (const m of messages) handled.push(m.id);
    });
    try {
      await waitFor(
        () => handled.includes(dead[1] as string),
        20_000,
        'the replayed message handled',
      );
    } finally {
      await consumer.stop();
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it(`[${label}] purge asks for confirmation first, then empties the dead letters`, async () => {
    const page = await context.newPage();
    await page.goto(`${site.url}/queues/${queueName}`);
    await page.getByRole('button', { name: 'Purge all dead letters' }).click();
    await expect(page.locator('h1').textContent()).resolves.toBe(
      `Purge 2 dead letters of ${queueName}?`,
    );
    expect(await mq.deadLetters.count(queueName)).toBe(2);
    // Cancel leaves everything in place.
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(`**/queues/${queueName}`);
    expect(await mq.deadLetters.count(queueName)).toBe(2);
    await page.getByRole('button', { name: 'Purge all dead letters' }).click();
    await page.getByRole('button', { name: 'Yes, purge 2' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toBe('Purged 2 dead letters.');
    expect(await mq.deadLetters.count(queueName)).toBe(0);
    await page.close();
  });

  it(`[${label}] readOnly hides every mutation and refuses a POST with 403`, async () => {
    await mq.publish(queueName, { type: 'doomed', payload: {} });
    const consumer = mq.consume(queueName, async (messages) => {
      if (messages.some((m) => m.type === 'doomed')) throw new NonRetryableError('doomed');
    });
    await waitFor(
      async () => (await mq.deadLetters.count(queueName)) === 1,
      20_000,
      '1 dead letter',
    );
    await consumer.stop();
    const readOnly = await mount({ queues: mq, logger: silent, readOnly: true });
    try {
      const page = await context.newPage();
      await page.goto(`${readOnly.url}/queues/${queueName}/dead-letters`);
      expect(await page.locator('tr[data-id]').count()).toBe(1);
      expect(await page.locator('button', { hasText: /Replay|Purge/ }).count()).toBe(0);
      expect(await page.locator('input[name="ids"]').count()).toBe(0);
      await page.goto(`${readOnly.url}/queues/${queueName}`);
      expect(await page.locator('form[method="post"]').count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      // A hand-made POST (with the page's own cookie) is refused and changes nothing.
      const response = await page.request.post(
        `${readOnly.url}/queues/${queueName}/dead-letters/action`,
        {
          form: { op: 'purge:matching', confirmed: '1', _csrf: 'x' },
        },
      );
      expect(response.status()).toBe(403);
      expect(await mq.deadLetters.count(queueName)).toBe(1);
      await page.close();
    } finally {
      await readOnly.close();
    }
  });

  it(`[${label}] no auth is 401 everywhere; a POST without a valid CSRF token is 403 and changes nothing`, async () => {
    const anonymous = await browser().newContext();
    try {
      for (const path of ['/', `/queues/${queueName}`, '/assets/app.css']) {
        const r = await anonymous.request.get(`${site.url}${path}`);
        expect(r.status(), path).toBe(401);
      }
      const post = await anonymous.request.post(
        `${site.url}/queues/${queueName}/dead-letters/action`,
        {
          form: { op: 'purge:matching', confirmed: '1' },
        },
      );
      expect(post.status()).toBe(401);
    } finally {
      await anonymous.close();
    }
    const page = await context.newPage();
    await page.goto(`${site.url}/queues/${queueName}/dead-letters`); // sets the CSRF cookie
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    const action = `${site.url}/queues/${queueName}/dead-letters/action`;
    const without = await page.request.post(action, {
      form: { op: 'purge:matching', confirmed: '1' },
    });
    expect(without.status()).toBe(403);
    const forged = await page.request.post(action, {
      form: { op: 'purge:matching', confirmed: '1', _csrf: `${token.slice(0, -2)}xx` },
    });
    expect(forged.status()).toBe(403);
    expect(await mq.deadLetters.count(queueName)).toBe(1);
    // The page's own token works (the same request a click makes).
    const genuine = await page.request.post(action, {
      form: { op: 'purge:matching', confirmed: '1', _csrf: token },
      maxRedirects: 0,
    });
    expect(genuine.status()).toBe(303);
    expect(await mq.deadLetters.count(queueName)).toBe(0);
    await page.close();
  });
}

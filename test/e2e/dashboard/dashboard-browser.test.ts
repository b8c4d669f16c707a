import { createMemoryQueue } from '@mqkit/memory';
import { createPrismaQueue } from '@mqkit/prisma';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { postgres, probe } from '../../../packages/prisma/test/databases.js';
import { chromiumMissing, launchChromium } from './browser.js';
import { defineKinesisScenario, kinesisUnreachable } from './kinesis-scenario.js';
import { defineDashboardScenario } from './scenario.js';

// @mqkit/dashboard in a real browser (Debian's chromium through playwright-core, one launch for
// every case), on memory, PostgreSQL (@mqkit/prisma) and the Kinesis page over kinesalite + Redis.
const missing = chromiumMissing();
if (missing) console.log(`SKIPPED: dashboard browser — ${missing}`);
const postgresDown = missing ? undefined : await probe(postgres);
if (postgresDown) console.log(`SKIPPED: dashboard browser on prisma/postgresql — ${postgresDown}`);
const kinesisDown = missing ? undefined : await kinesisUnreachable();
if (kinesisDown) console.log(`SKIPPED: dashboard browser Kinesis page — ${kinesisDown}`);

describe.runIf(missing === undefined)('dashboard in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('memory', () => {
    defineDashboardScenario(
      'memory',
      (options) => createMemoryQueue(options),
      () => browser,
      'memory',
    );
  });

  describe.runIf(postgresDown === undefined)('prisma/postgresql', () => {
    const prisma = postgres.client({ max: 4 });
    afterAll(async () => {
      await prisma.$disconnect();
    });
    defineDashboardScenario(
      'prisma/postgresql',
      (options) => createPrismaQueue({ ...options, prisma }),
      () => browser,
    );
  });

  describe.runIf(kinesisDown === undefined)('kinesis', () => {
    defineKinesisScenario(() => browser);
  });
});

export type { PrismaClientLike, PrismaDialect, PrismaRawClient } from './client.js';
export {
  type ApplyMigrationsOptions,
  applyMigrations,
  MIGRATIONS,
  type MigrationFile,
  migrationStatements,
} from './migrations.js';
export {
  createPrismaQueue,
  type PrismaQueue,
  type PrismaQueueOptions,
  prismaCapabilities,
} from './prisma-queue.js';

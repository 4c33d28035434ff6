import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, createBus } from "@faultline/bus";
import { type Config, loadConfig } from "@faultline/config";
import { BURST_COUNTS_TYPE, SUBSCRIPTION_FILTERS, SUBSCRIPTIONS } from "@faultline/core";
import {
  closeDb,
  createIngestKey,
  createLog,
  createOrganization,
  createUser,
  type Db,
  findActiveIngestKey,
  openDb,
} from "@faultline/db";
import { migrateToLatest } from "@faultline/db/migrate";

/** One log with an active key, as a customer would have after setting Faultline up. */
export interface TestLog {
  logId: string;
  keyId: string;
  secret: string;
}

/**
 * The engines ingest runs on, for real: a SQLite database with migrations applied and a SQLite
 * bus, in a fresh FAULTLINE_DATA_DIR. Tests build the server on top with their own limits.
 */
export interface TestEnvironment {
  config: Config;
  db: Db;
  bus: Bus;
  log: TestLog;
  otherLog: TestLog;
  findIngestKey: (secret: string) => ReturnType<typeof findActiveIngestKey>;
  close(): Promise<void>;
}

export async function openTestEnvironment(): Promise<TestEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), "faultline-ingest-"));
  const config = loadConfig({ FAULTLINE_DATA_DIR: dataDir });
  const db = openDb(config.db);
  await migrateToLatest(db);
  const user = await createUser(db, { email: "owner@example.com", password: "correct horse battery" });
  const org = await createOrganization(db, { name: "Acme", ownerUserId: user.id });
  const makeLog = async (name: string): Promise<TestLog> => {
    const log = await createLog(db, { organizationId: org.id, name });
    const { key, secret } = await createIngestKey(db, log.id);
    return { logId: log.id, keyId: key.id, secret };
  };
  const log = await makeLog("shop");
  const otherLog = await makeLog("billing");
  const bus = await createBus(config.bus, { subscriptions: SUBSCRIPTIONS, filters: SUBSCRIPTION_FILTERS });
  return {
    config,
    db,
    bus,
    log,
    otherLog,
    findIngestKey: (secret) => findActiveIngestKey(db, secret),
    async close() {
      await bus.close();
      await closeDb(db);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Everything waiting on a subscription, settled so a second drain sees only newer messages.
 * Ingest's burst-counts reports share the topic; they are settled too but only returned when
 * asked for by `type` (which returns only messages of that type).
 */
export async function drainSubscription(bus: Bus, subscription: string, type?: string) {
  const subscriber = bus.subscriber(subscription);
  const all = [];
  for (;;) {
    const batch = await subscriber.receive(1000);
    if (batch.length === 0) break;
    await subscriber.complete(batch);
    all.push(...batch.filter((m) => (type === undefined ? m.type !== BURST_COUNTS_TYPE : m.type === type)));
  }
  await subscriber.close();
  return all;
}

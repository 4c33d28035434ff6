import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import {
  type Bus,
  type BusMessage,
  type BusOptions,
  type BusPublisher,
  type BusSubscriber,
  type DeadLetter,
  LockLostError,
  type ReceivedMessage,
  type ReceiveOptions,
} from "../types";
import { subscriptionFilters } from "../filters";

/**
 * The embedded bus: a durable queue in one SQLite file that several processes open at once
 * (ingest publishes, each consumer kind runs one or more competing processes).
 *
 * Tables (all prefixed `bus_` so the file could share a database if ever needed):
 * - `bus_subscriptions(id, name, types)`: `types` is the subscription's filter as a JSON array of
 *   message types, NULL for "every type" (BusOptions.filters). Each bus start writes the filters
 *   it was given, so a changed filter takes effect when the processes restart; deliveries already
 *   fanned out under the old filter stay and are delivered.
 * - `bus_bodies(seq, id, type, body, enqueued_at, pending)`: every published message that at
 *   least one subscription accepts, once (one that none accepts is not stored at all);
 *   `seq` (AUTOINCREMENT, so never reused) is the publish order, `pending` counts the delivery
 *   rows still pointing at it, so the body is deleted the moment the last one is settled.
 * - `bus_deliveries(sub, seq, delivery_count, locked_until, lock_token)`, WITHOUT ROWID with
 *   primary key (sub, seq): one row per message and subscription whose filter accepts it. The table is clustered in
 *   exactly the order receive reads it ("this subscription, oldest first"), so receive needs no
 *   secondary index and each row stays a few dozen bytes however large the body.
 * - `bus_dead_letters`: a copy of the message with the reason; dead letters are rare, so copying
 *   keeps body garbage collection a simple counter.
 *
 * Locking: a row is available when `locked_until <= now` (0 = never locked or abandoned).
 * Receive runs in BEGIN IMMEDIATE, which takes SQLite's single write lock before reading, so the
 * select-then-lock of the oldest available rows is atomic across processes: two receivers can
 * never lock the same row while its lock holds. Each receive stamps its rows with a fresh random
 * nonce; settling matches (sub, seq, nonce) and `locked_until > now`, so a stale receiver whose
 * lock expired (and which may have been redelivered to someone else) gets LockLostError.
 */

/**
 * 1: the first schema. 2: `bus_subscriptions.types` (filters); a version-1 file is upgraded in
 * place when a bus opens it (createSchema).
 */
const SCHEMA_VERSION = 2;
const DEFAULT_LOCK_MS = 30_000;
const DEFAULT_MAX_DELIVERIES = 10;
/**
 * How long a connection waits for another process's write transaction. Transactions here are a
 * few milliseconds long, so waiting this long means something is badly wrong; better-sqlite3 is
 * synchronous, so the wait also blocks this process's event loop — keep it bounded.
 */
const BUSY_TIMEOUT_MS = 5_000;
/**
 * SQLite has no cross-process notification, so a receive that should wait polls. The first
 * retries come quickly (a message published while we wait is picked up within milliseconds),
 * then back off so idle consumers cost ~20 cheap reads a second each.
 */
const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 50;

export interface SqliteBusOptions extends BusOptions {
  /** Path of the bus file; its folder is created if missing. Every process must use the same path. */
  file: string;
}

type Db = Database.Database;

interface CandidateRow {
  seq: number;
  deliveryCount: number;
  id: string;
  type: string;
  body: Buffer;
  enqueuedAt: number;
}

interface DeadLetterRow {
  id: string;
  type: string;
  body: Buffer;
  deliveryCount: number;
  reason: string;
  deadLetteredAt: number;
}

/**
 * Opens a connection with the settings every connection needs. `synchronous` is per connection
 * and is chosen by the caller (see publisher and subscriber).
 */
function openConnection(file: string, synchronous: "FULL" | "NORMAL"): Db {
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    // Switching a fresh file to WAL needs an exclusive lock; when several processes open a new
    // file at the same moment SQLite can report SQLITE_BUSY here without calling the busy
    // handler, so retry for as long as we would wait for any other lock.
    retryWhileBusy(() => db.pragma("journal_mode = WAL"));
    db.pragma(`synchronous = ${synchronous}`);
    // After a burst the WAL can grow large; give the space back once it has been checkpointed.
    db.pragma("journal_size_limit = 67108864");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function retryWhileBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if ((code !== "SQLITE_BUSY" && code !== "SQLITE_LOCKED") || Date.now() > deadline) throw error;
      // Atomics.wait is the only synchronous sleep; the schema set-up is synchronous throughout.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

function createSchema(db: Db, filters: ReadonlyMap<string, readonly string[] | undefined>): void {
  // One IMMEDIATE transaction: processes that open a new file (or upgrade an old one) at once
  // queue up here, and each finds the work already done by the first (every statement is
  // idempotent, and the upgrade looks at the table, not only at user_version).
  retryWhileBusy(() =>
    db
      .transaction(() => {
        const version = db.pragma("user_version", { simple: true }) as number;
        if (version > SCHEMA_VERSION) {
          throw new Error(
            `bus file was written by a newer Faultline (schema ${version}, this one knows ${SCHEMA_VERSION})`,
          );
        }
        db.exec(`
          CREATE TABLE IF NOT EXISTS bus_subscriptions (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            types TEXT
          );
          CREATE TABLE IF NOT EXISTS bus_bodies (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            body BLOB NOT NULL,
            enqueued_at INTEGER NOT NULL,
            pending INTEGER NOT NULL
          );
          CREATE TABLE IF NOT EXISTS bus_deliveries (
            sub INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            delivery_count INTEGER NOT NULL DEFAULT 0,
            locked_until INTEGER NOT NULL DEFAULT 0,
            lock_token TEXT,
            PRIMARY KEY (sub, seq)
          ) WITHOUT ROWID;
          CREATE TABLE IF NOT EXISTS bus_dead_letters (
            dl INTEGER PRIMARY KEY AUTOINCREMENT,
            sub INTEGER NOT NULL,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            body BLOB NOT NULL,
            enqueued_at INTEGER NOT NULL,
            delivery_count INTEGER NOT NULL,
            reason TEXT NOT NULL,
            dead_lettered_at INTEGER NOT NULL
          );
          CREATE INDEX IF NOT EXISTS bus_dead_letters_by_sub ON bus_dead_letters (sub, dl);
        `);
        // Version 1 → 2: a file made before filters has the table without `types`. Adding a
        // nullable column rewrites nothing, and NULL ("every type") is what version 1 did.
        const columns = db.prepare("SELECT name FROM pragma_table_info('bus_subscriptions')").pluck().all();
        if (!columns.includes("types")) db.exec("ALTER TABLE bus_subscriptions ADD COLUMN types TEXT");
        if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
        const upsert = db.prepare<[string, string | null]>(
          "INSERT INTO bus_subscriptions (name, types) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET types = excluded.types",
        );
        for (const [name, types] of filters)
          upsert.run(name, types === undefined ? null : JSON.stringify(types));
      })
      .immediate(),
  );
}

function validateOptions(options: SqliteBusOptions): {
  lockMs: number;
  maxDeliveries: number;
  filters: Map<string, readonly string[] | undefined>;
} {
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  if (!options.file) throw new Error("sqlite bus: `file` is required");
  if (!Number.isInteger(lockMs) || lockMs <= 0) {
    throw new Error(`sqlite bus: lockMs must be a positive integer, got ${lockMs}`);
  }
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) {
    throw new Error(`sqlite bus: maxDeliveries must be an integer of at least 1, got ${maxDeliveries}`);
  }
  for (const name of options.subscriptions) {
    if (typeof name !== "string" || name.trim() === "") {
      throw new Error("sqlite bus: subscription names must be non-empty strings");
    }
  }
  return { lockMs, maxDeliveries, filters: subscriptionFilters("sqlite bus", options) };
}

/**
 * Creates (idempotently) the schema and the subscriptions in `options.file` and returns a bus on
 * it. Safe to call from several processes on the same file at once.
 */
export function createSqliteBus(options: SqliteBusOptions): Bus {
  const { lockMs, maxDeliveries, filters } = validateOptions(options);
  const file = options.file;
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });

  // Two connections per bus however many publisher and subscriber handles are taken: the writer
  // (synchronous=FULL, see publishStatements) sets up the file and publishes; the consumer
  // connection (NORMAL, see SqliteSubscriber), opened on first use, serves every subscriber.
  // better-sqlite3 runs each transaction synchronously from BEGIN to COMMIT, so handles sharing
  // a connection can never interleave inside one.
  const writer = openConnection(file, "FULL");
  try {
    createSchema(writer, filters);
  } catch (error) {
    writer.close();
    throw error;
  }
  const findSubscription = writer.prepare<[string], { id: number }>(
    "SELECT id FROM bus_subscriptions WHERE name = ?",
  );
  let publish: PublishStatements | undefined;
  let consumer: Db | undefined;
  let closed = false;
  const busIsOpen = () => !closed;
  const assertOpen = () => {
    if (closed) throw new Error("sqlite bus: the bus is closed");
  };

  return {
    description: `sqlite (${file})`,
    publisher() {
      assertOpen();
      publish ??= publishStatements(writer);
      return new SqlitePublisher(publish, busIsOpen);
    },
    subscriber(subscription) {
      assertOpen();
      const row = findSubscription.get(subscription);
      if (!row) {
        throw new Error(
          `sqlite bus: unknown subscription "${subscription}"; subscriptions are created from BusOptions.subscriptions when a bus starts`,
        );
      }
      consumer ??= openConnection(file, "NORMAL");
      return new SqliteSubscriber(consumer, subscription, row.id, lockMs, maxDeliveries, busIsOpen);
    },
    async close() {
      if (closed) return;
      closed = true;
      consumer?.close();
      writer.close();
    },
  };
}

interface PublishStatements {
  insertBatch(messages: readonly BusMessage[]): void;
  ping(): void;
}

/**
 * The writer connection is synchronous=FULL: in WAL mode FULL fsyncs the WAL on every commit,
 * NORMAL only at checkpoints. Ingest answers 201 once publish resolves, so a power loss must not
 * take back an accepted message; the price is one fsync per publish call, which batching spreads
 * over hundreds of messages.
 */
function publishStatements(db: Db): PublishStatements {
  const subscriptions = db.prepare<[], { id: number; types: string | null }>(
    "SELECT id, types FROM bus_subscriptions ORDER BY id",
  );
  /** Parsed filters by their stored text: the few subscriptions are read on every publish. */
  const parsed = new Map<string, ReadonlySet<string>>();
  const accepts = (types: string | null, type: string) => {
    if (types === null) return true;
    let set = parsed.get(types);
    if (!set) {
      set = new Set(JSON.parse(types) as string[]);
      parsed.set(types, set);
    }
    return set.has(type);
  };
  const insertBody = db.prepare<[string, string, Uint8Array, number, number]>(
    "INSERT INTO bus_bodies (id, type, body, enqueued_at, pending) VALUES (?, ?, ?, ?, ?)",
  );
  const insertDelivery = db.prepare<[number, number | bigint]>(
    "INSERT INTO bus_deliveries (sub, seq) VALUES (?, ?)",
  );
  return {
    // One transaction for the whole batch: the commit (and its fsync) dominates the cost, so
    // hundreds of messages cost about as much as one.
    insertBatch: db.transaction((messages: readonly BusMessage[]) => {
      // Read inside the transaction so a subscription another process just created, or a filter
      // it just changed, applies from this publish on.
      const subs = subscriptions.all();
      if (subs.length === 0) return; // nobody would ever receive it
      // The fan-out of each type, worked out once per batch (a batch is mostly one type).
      const fanOut = new Map<string, number[]>();
      const now = Date.now();
      for (const m of messages) {
        let targets = fanOut.get(m.type);
        if (!targets) {
          targets = subs.filter((sub) => accepts(sub.types, m.type)).map((sub) => sub.id);
          fanOut.set(m.type, targets);
        }
        // A type no subscription takes is accepted and stored nowhere (see BusOptions.filters).
        if (targets.length === 0) continue;
        const { lastInsertRowid } = insertBody.run(m.id, m.type, m.body, now, targets.length);
        for (const sub of targets) insertDelivery.run(sub, lastInsertRowid);
      }
    }).immediate,
    // Taking and releasing the write lock shows the file is reachable and writable.
    ping: db.transaction(() => {}).immediate,
  };
}

class SqlitePublisher implements BusPublisher {
  private closed = false;

  constructor(
    private readonly statements: PublishStatements,
    private readonly busIsOpen: () => boolean,
  ) {}

  async publish(messages: readonly BusMessage[]): Promise<void> {
    this.assertOpen();
    for (const m of messages) {
      if (typeof m.id !== "string" || m.id === "") {
        throw new TypeError("bus message id must be a non-empty string");
      }
      if (typeof m.type !== "string") throw new TypeError(`bus message ${m.id}: type must be a string`);
      if (!(m.body instanceof Uint8Array)) {
        throw new TypeError(`bus message ${m.id}: body must be a Uint8Array`);
      }
    }
    if (messages.length > 0) this.statements.insertBatch(messages);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.statements.ping();
  }

  /** The connection belongs to the bus and is released by Bus.close. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed || !this.busIsOpen()) throw new Error("sqlite bus: the publisher is closed");
  }
}

/** The parts of a lock token: the row it locks and the nonce of the receive that locked it. */
function parseLockToken(token: string): { seq: number; nonce: string } | undefined {
  const at = token.indexOf(":");
  if (at <= 0) return undefined;
  const seq = Number(token.slice(0, at));
  if (!Number.isSafeInteger(seq)) return undefined;
  return { seq, nonce: token.slice(at + 1) };
}

class SqliteSubscriber implements BusSubscriber {
  private closed = false;
  private readonly hasAvailable: () => boolean;
  private readonly lockBatch: (max: number) => ReceivedMessage[];
  private readonly completeBatch: (messages: readonly ReceivedMessage[]) => string[];
  private readonly abandonBatch: (
    messages: readonly ReceivedMessage[],
    reason: string | undefined,
  ) => string[];
  private readonly deadLetterBatch: (messages: readonly ReceivedMessage[], reason: string) => string[];
  private readonly renewBatch: (messages: readonly ReceivedMessage[]) => string[];
  private readonly sweepAndPeek: (max: number) => DeadLetterRow[];

  /**
   * `db` is the bus's consumer connection, synchronous=NORMAL: a lock, complete or abandon lost
   * to a power cut only means a message is delivered again, which at-least-once delivery already
   * allows; publishes (FULL, on the writer connection) are fsynced before anything after them in
   * the WAL, so they cannot be lost this way. This saves an fsync per settled batch.
   */
  constructor(
    db: Db,
    readonly subscription: string,
    sub: number,
    lockMs: number,
    maxDeliveries: number,
    private readonly busIsOpen: () => boolean,
  ) {
    const peekAvailable = db
      .prepare<[number, number]>("SELECT 1 FROM bus_deliveries WHERE sub = ? AND locked_until <= ? LIMIT 1")
      .pluck();
    const selectCandidates = db.prepare<[number, number, number], CandidateRow>(`
      SELECT d.seq, d.delivery_count AS deliveryCount, b.id, b.type, b.body, b.enqueued_at AS enqueuedAt
      FROM bus_deliveries d JOIN bus_bodies b ON b.seq = d.seq
      WHERE d.sub = ? AND d.locked_until <= ?
      ORDER BY d.seq
      LIMIT ?`);
    const lockRow = db.prepare<[number, string, number, number]>(
      "UPDATE bus_deliveries SET delivery_count = delivery_count + 1, locked_until = ?, lock_token = ? WHERE sub = ? AND seq = ?",
    );
    const deleteLocked = db.prepare<[number, number, string, number]>(
      "DELETE FROM bus_deliveries WHERE sub = ? AND seq = ? AND lock_token = ? AND locked_until > ?",
    );
    const unlock = db.prepare<[number, number, string, number], { deliveryCount: number }>(`
      UPDATE bus_deliveries SET locked_until = 0, lock_token = NULL
      WHERE sub = ? AND seq = ? AND lock_token = ? AND locked_until > ?
      RETURNING delivery_count AS deliveryCount`);
    const lockedCount = db
      .prepare<[number, number, string, number]>(
        "SELECT delivery_count FROM bus_deliveries WHERE sub = ? AND seq = ? AND lock_token = ? AND locked_until > ?",
      )
      .pluck();
    const extend = db.prepare<[number, number, number, string, number]>(
      "UPDATE bus_deliveries SET locked_until = ? WHERE sub = ? AND seq = ? AND lock_token = ? AND locked_until > ?",
    );
    const deleteDelivery = db.prepare<[number, number]>(
      "DELETE FROM bus_deliveries WHERE sub = ? AND seq = ?",
    );
    const copyToDeadLetters = db.prepare<[number, number, string, number, number]>(`
      INSERT INTO bus_dead_letters (sub, id, type, body, enqueued_at, delivery_count, reason, dead_lettered_at)
      SELECT ?, id, type, body, enqueued_at, ?, ?, ? FROM bus_bodies WHERE seq = ?`);
    const decrementBody = db
      .prepare<[number]>("UPDATE bus_bodies SET pending = pending - 1 WHERE seq = ? RETURNING pending")
      .pluck();
    const deleteBody = db.prepare<[number]>("DELETE FROM bus_bodies WHERE seq = ?");
    const expiredAtMax = db.prepare<[number, number, number], { seq: number; deliveryCount: number }>(`
      SELECT seq, delivery_count AS deliveryCount FROM bus_deliveries
      WHERE sub = ? AND locked_until <= ? AND delivery_count >= ?`);
    const selectDeadLetters = db.prepare<[number, number], DeadLetterRow>(`
      SELECT id, type, body, delivery_count AS deliveryCount, reason, dead_lettered_at AS deadLetteredAt
      FROM bus_dead_letters WHERE sub = ? ORDER BY dl LIMIT ?`);

    // Garbage collection of bodies happens here, in the settling transaction: the last
    // subscription to let go of a message deletes its body, so the file never needs a sweep.
    const releaseBody = (seq: number) => {
      const pending = decrementBody.get(seq) as number | undefined;
      if (pending !== undefined && pending <= 0) deleteBody.run(seq);
    };
    const moveToDeadLetters = (seq: number, deliveryCount: number, reason: string, now: number) => {
      copyToDeadLetters.run(sub, deliveryCount, reason, now, seq);
      deleteDelivery.run(sub, seq);
      releaseBody(seq);
    };
    const expiredReason = (count: number) =>
      `lock expired after ${count} deliveries (max deliveries ${maxDeliveries})`;

    /** Applies `settle` to each message; returns the ids whose lock was lost. */
    const settleEach = (
      messages: readonly ReceivedMessage[],
      settle: (seq: number, nonce: string, now: number) => boolean,
    ): string[] => {
      const now = Date.now();
      const lost: string[] = [];
      for (const m of messages) {
        const token = parseLockToken(m.lockToken);
        if (!token || !settle(token.seq, token.nonce, now)) lost.push(m.id);
      }
      return lost;
    };

    this.hasAvailable = () => peekAvailable.get(sub, Date.now()) !== undefined;

    this.lockBatch = db.transaction((max: number): ReceivedMessage[] => {
      // Date.now() only after BEGIN IMMEDIATE has the write lock: time spent waiting for it
      // must not shorten the lock we hand out.
      const now = Date.now();
      const nonce = randomUUID();
      for (;;) {
        const candidates = selectCandidates.all(sub, now, max);
        const received: ReceivedMessage[] = [];
        for (const row of candidates) {
          if (row.deliveryCount >= maxDeliveries) {
            // Its last lock expired (an abandon at the limit dead-letters at once).
            moveToDeadLetters(row.seq, row.deliveryCount, expiredReason(row.deliveryCount), now);
            continue;
          }
          lockRow.run(now + lockMs, nonce, sub, row.seq);
          received.push({
            id: row.id,
            type: row.type,
            body: row.body,
            lockToken: `${row.seq}:${nonce}`,
            deliveryCount: row.deliveryCount + 1,
            enqueuedAt: new Date(row.enqueuedAt),
          });
        }
        // Only dead-lettered rows this round: look again rather than report an empty queue.
        if (received.length > 0 || candidates.length === 0) return received;
      }
    }).immediate;

    this.completeBatch = db.transaction((messages: readonly ReceivedMessage[]) =>
      settleEach(messages, (seq, nonce, now) => {
        if (deleteLocked.run(sub, seq, nonce, now).changes === 0) return false;
        releaseBody(seq);
        return true;
      }),
    ).immediate;

    this.abandonBatch = db.transaction((messages: readonly ReceivedMessage[], reason: string | undefined) =>
      settleEach(messages, (seq, nonce, now) => {
        const row = unlock.get(sub, seq, nonce, now);
        if (!row) return false;
        if (row.deliveryCount >= maxDeliveries) {
          const why = `abandoned after ${row.deliveryCount} deliveries (max deliveries ${maxDeliveries})`;
          moveToDeadLetters(seq, row.deliveryCount, reason ? `${why}: ${reason}` : why, now);
        }
        return true;
      }),
    ).immediate;

    this.deadLetterBatch = db.transaction((messages: readonly ReceivedMessage[], reason: string) =>
      settleEach(messages, (seq, nonce, now) => {
        const count = lockedCount.get(sub, seq, nonce, now) as number | undefined;
        if (count === undefined) return false;
        moveToDeadLetters(seq, count, reason, now);
        return true;
      }),
    ).immediate;

    this.renewBatch = db.transaction((messages: readonly ReceivedMessage[]) =>
      settleEach(messages, (seq, nonce, now) => extend.run(now + lockMs, sub, seq, nonce, now).changes > 0),
    ).immediate;

    this.sweepAndPeek = db.transaction((max: number) => {
      // Receive dead-letters expired messages lazily; sweep here too so that an operator looking
      // at the dead-letter queue of an idle subscription sees them. This scans the
      // subscription's rows, which is fine for an occasional, human-triggered read.
      const now = Date.now();
      for (const row of expiredAtMax.all(sub, now, maxDeliveries)) {
        moveToDeadLetters(row.seq, row.deliveryCount, expiredReason(row.deliveryCount), now);
      }
      return selectDeadLetters.all(sub, max);
    }).immediate;
  }

  async receive(max: number, options?: ReceiveOptions): Promise<ReceivedMessage[]> {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`receive: max must be a positive integer, got ${max}`);
    this.assertOpen();
    const deadline = Date.now() + Math.max(0, options?.waitMs ?? 0);
    let pause = POLL_FIRST_MS;
    for (;;) {
      // A plain read first: in WAL mode it never blocks publishers, so idle polling does not
      // compete for the write lock that every publish needs.
      if (this.hasAvailable()) {
        const received = this.lockBatch(max);
        if (received.length > 0) return received;
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      // Closed while waiting (shutdown): end the wait quietly instead of failing the caller.
      if (this.isClosed()) return [];
      pause = Math.min(pause * 2, POLL_MAX_MS);
    }
  }

  async complete(messages: readonly ReceivedMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length > 0) this.throwIfLost("complete", this.completeBatch(messages));
  }

  async abandon(messages: readonly ReceivedMessage[], reason?: string): Promise<void> {
    this.assertOpen();
    if (messages.length > 0) this.throwIfLost("abandon", this.abandonBatch(messages, reason));
  }

  async deadLetter(messages: readonly ReceivedMessage[], reason: string): Promise<void> {
    this.assertOpen();
    if (messages.length > 0) this.throwIfLost("dead-letter", this.deadLetterBatch(messages, reason));
  }

  async renewLocks(messages: readonly ReceivedMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length > 0) this.throwIfLost("renew the lock of", this.renewBatch(messages));
  }

  async peekDeadLetters(max: number): Promise<DeadLetter[]> {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`peekDeadLetters: max must be a positive integer, got ${max}`);
    }
    this.assertOpen();
    return this.sweepAndPeek(max).map((row) => ({
      id: row.id,
      type: row.type,
      body: row.body,
      deliveryCount: row.deliveryCount,
      reason: row.reason,
      deadLetteredAt: new Date(row.deadLetteredAt),
    }));
  }

  /** The connection belongs to the bus and is released by Bus.close. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private isClosed(): boolean {
    return this.closed || !this.busIsOpen();
  }

  private assertOpen(): void {
    if (this.isClosed()) throw new Error(`sqlite bus: the subscriber of "${this.subscription}" is closed`);
  }

  /**
   * The messages whose lock still held were settled and committed; only the lost ones are
   * reported, so a batch consumer does not redo work another receiver may already be doing.
   */
  private throwIfLost(action: string, lostIds: string[]): void {
    if (lostIds.length === 0) return;
    const shown = lostIds.slice(0, 10).join(", ") + (lostIds.length > 10 ? ", …" : "");
    throw new LockLostError(
      `cannot ${action} ${lostIds.length} message(s) of subscription "${this.subscription}": the lock expired or was taken by another receiver (${shown})`,
    );
  }
}

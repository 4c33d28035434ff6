import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchiveStore, readArchivedMessages } from "@faultline/archive";
import { loadConfig } from "@faultline/config";
import { createSearchIndex } from "@faultline/search";
import Database from "better-sqlite3";
import { freePort, realisticMessage } from "../../tests/support/harness";
import { runCli, startSystem } from "../system.mjs";

function post(agent: Agent, url: URL, key: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          api_key: key,
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** This machine's bare rate: the same JSON bodies inserted into a plain SQLite table in one transaction. */
function bareSqliteRate(bodies: string[], dir: string): number {
  const db = new Database(join(dir, "bare.db"));
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE m (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO m (body) VALUES (?)");
  const started = performance.now();
  db.transaction(() => {
    for (const b of bodies) insert.run(b);
  })();
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return bodies.length / seconds;
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

/**
 * Posts N realistic 3–5 KB errors at full speed over keep-alive connections and reports the
 * accepted rate and the rate at which they were fully indexed and archived.
 */
export async function e2e(flags: Record<string, string | boolean | undefined>): Promise<void> {
  const n = Number(flags.messages ?? 10_000);
  const concurrency = Number(flags.concurrency ?? 32);
  const bulk = Number(flags.bulk ?? 0);
  const indexers = Number(flags.indexers ?? 1);
  const dir = mkdtempSync(join(tmpdir(), "faultline-bench-"));
  const system = await startSystem({
    dataDir: join(dir, "data"),
    webPort: await freePort(),
    ingestPort: await freePort(),
    consumers: { indexer: indexers, archiver: 1 },
    onOutput: (name, line) => {
      if (/error|warn/i.test(line) && !line.includes('"level":"info"')) console.log(`[${name}] ${line}`);
    },
  });
  try {
    await runCli(
      ["users", "create", "--email", "bench@example.com", "--password", "benchmark!", "--org", "Bench"],
      system.env,
    );
    const log = JSON.parse(
      await runCli(["logs", "create", "--org", "Bench", "--name", "bench", "--json"], system.env),
    ) as {
      logId: string;
      ingestKey: string;
      endpoint: string;
    };
    // The log's own burst limit, set high through the operator command as an owner would: the
    // check still runs on every request, it just never drops one during the measurement.
    await runCli(["logs", "update", "--log", log.logId, "--burst-limit", "10000000"], system.env);
    const bodies = Array.from({ length: n }, (_, i) => JSON.stringify(realisticMessage(i)));
    const avgBytes = Math.round(bodies.reduce((s, b) => s + b.length, 0) / n);

    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const started = performance.now();
    let next = 0;
    let rejected = 0;
    if (bulk > 0) {
      const url = new URL(`${log.endpoint}/_bulk`);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            const chunk = bodies.slice(next, next + bulk);
            next += bulk;
            const status = await post(agent, url, log.ingestKey, `[${chunk.join(",")}]`);
            if (status >= 300) rejected += chunk.length;
          }
        }),
      );
    } else {
      const url = new URL(log.endpoint);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            const body = bodies[next++]!;
            if ((await post(agent, url, log.ingestKey, body)) !== 201) rejected++;
          }
        }),
      );
    }
    const acceptedMs = performance.now() - started;
    agent.destroy();

    const config = loadConfig({ FAULTLINE_DATA_DIR: system.dataDir });
    const search = await createSearchIndex(config.search);
    const archive = await createArchiveStore(config.archive);
    const archived = new Set<string>();
    const readKeys = new Set<string>();
    let indexedMs = 0;
    let archivedMs = 0;
    const expected = n - rejected;
    const deadline = Date.now() + 600_000;
    while ((indexedMs === 0 || archivedMs === 0) && Date.now() < deadline) {
      if (indexedMs === 0 && (await search.count(log.logId)) >= expected)
        indexedMs = performance.now() - started;
      if (archivedMs === 0) {
        // Batches are immutable once written, so each poll reads only the new ones.
        for await (const entry of archive.list(`${log.logId}/`)) {
          if (readKeys.has(entry.key)) continue;
          readKeys.add(entry.key);
          for await (const m of readArchivedMessages(archive, entry.key)) archived.add(m.id);
        }
        if (archived.size >= expected) archivedMs = performance.now() - started;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await search.close();
    await archive.close();
    const doneMs = Math.max(indexedMs, archivedMs);
    const bare = bareSqliteRate(bodies, dir);
    const endToEnd = rate(expected, doneMs);

    console.log(
      `\nbench e2e — ${n} messages of ~${avgBytes} bytes, ${bulk > 0 ? `bulk ${bulk}` : "single POSTs"}, concurrency ${concurrency}, ${indexers} indexer(s)`,
    );
    console.table({
      "accepted by ingest": { "msgs/s": rate(n, acceptedMs), seconds: +(acceptedMs / 1000).toFixed(2) },
      indexed: { "msgs/s": rate(expected, indexedMs), seconds: +(indexedMs / 1000).toFixed(2) },
      archived: { "msgs/s": rate(expected, archivedMs), seconds: +(archivedMs / 1000).toFixed(2) },
      "end to end (indexed and archived)": { "msgs/s": endToEnd, seconds: +(doneMs / 1000).toFixed(2) },
      "reference: bare SQLite insert, one transaction": {
        "msgs/s": Math.round(bare),
        seconds: +(n / bare).toFixed(2),
      },
    });
    console.log(`rejected: ${rejected}; end to end / bare SQLite insert = ${(endToEnd / bare).toFixed(3)}`);
    if (indexedMs === 0 || archivedMs === 0)
      throw new Error("not every message was indexed and archived within 10 minutes");
  } finally {
    await system.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

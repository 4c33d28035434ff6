import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, realisticMessage } from "../../tests/support/harness";
import { ROOT, runCli } from "../system.mjs";

const LOAD = fileURLToPath(new URL("./http-load.mjs", import.meta.url));
const INGEST = join(ROOT, "apps/ingest/dist/main.mjs");

// The reference: what Node's HTTP server costs for the same bodies when all it does is read
// and JSON-parse them. Inline, so nothing but this line of code is measured.
const BARE_SERVER = `
const http = require("node:http");
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    try { JSON.parse(Buffer.concat(chunks).toString("utf8")); res.writeHead(200, { "content-type": "application/json" }); res.end('{"ok":true}'); }
    catch { res.writeHead(400); res.end(); }
  });
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
`;

interface LoadResult {
  requests: number;
  ok: number;
  statuses: Record<string, number>;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

async function waitHealthy(url: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, { method: "GET", signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${name} did not start`);
}

async function load(spec: Record<string, unknown>): Promise<LoadResult> {
  const child = spawn(process.execPath, [LOAD, JSON.stringify(spec)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(out) as LoadResult;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

const fmt = (r: LoadResult) =>
  `${Math.round(r.rps).toString().padStart(6)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p90 ${r.p90
    .toFixed(2)
    .padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   (${r.ok}/${r.requests} ok${
    Object.keys(r.statuses).length > 1 ? `, statuses ${JSON.stringify(r.statuses)}` : ""
  })`;

/**
 * Single-event POSTs of realistic 3–5 KB elmah.io messages over keep-alive connections, against
 * the real ingest bundle (SQLite bus, durable commit before each 201) and, in the same run, a
 * bare Node server that only reads and parses the body. The load generator is a third process.
 * Flags: --seconds (measured, default 10), --concurrency (default 32), --rounds (default 2:
 * bare and ingest alternate, so a noisy neighbour hits both), --cpu-prof (profile ingest into
 * the data folder, printed at the end).
 */
export async function ingest(flags: Record<string, string | boolean | undefined>): Promise<void> {
  const seconds = Number(flags.seconds ?? 10);
  const concurrency = Number(flags.concurrency ?? 32);
  const rounds = Number(flags.rounds ?? 2);
  const profile = flags["cpu-prof"] === true;
  const dir = mkdtempSync(join(tmpdir(), "faultline-bench-ingest-"));
  const dataDir = join(dir, "data");
  const ingestPort = await freePort();
  const barePort = await freePort();
  const env = {
    ...process.env,
    FAULTLINE_DATA_DIR: dataDir,
    FAULTLINE_INGEST_PORT: String(ingestPort),
    FAULTLINE_INGEST_HOST: "127.0.0.1",
    NODE_ENV: "production",
  };
  const children: ChildProcess[] = [];
  try {
    await runCli(["migrate"], env);
    await runCli(
      ["users", "create", "--email", "bench@example.com", "--password", "benchmark!", "--org", "Bench"],
      env,
    );
    const log = JSON.parse(
      await runCli(["logs", "create", "--org", "Bench", "--name", "bench", "--json"], env),
    ) as {
      logId: string;
      ingestKey: string;
      endpoint: string;
    };
    // The owner's burst limit for this log, set high through the operator command: the check
    // still runs on every request, it just never drops one during the measurement.
    await runCli(["logs", "update", "--log", log.logId, "--burst-limit", "10000000"], env);

    const bodiesFile = join(dir, "bodies.json");
    const bodies = Array.from({ length: 2000 }, (_, i) => JSON.stringify(realisticMessage(i)));
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    const avgBytes = Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length);

    const ingestChild = spawn(
      process.execPath,
      [...(profile ? ["--cpu-prof", `--cpu-prof-dir=${join(dir, "profile")}`] : []), INGEST],
      { env, stdio: ["ignore", "ignore", "inherit"], cwd: ROOT },
    );
    children.push(ingestChild);
    const bare = spawn(process.execPath, ["-e", BARE_SERVER], {
      env: { ...process.env, PORT: String(barePort) },
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(bare);
    await waitHealthy(`http://127.0.0.1:${ingestPort}/healthz`, ingestChild, "ingest");
    await waitHealthy(`http://127.0.0.1:${barePort}/`, bare, "bare server");

    const common = { bodiesFile, concurrency, seconds, warmupSeconds: 2 };
    console.log(
      `ingest bench: ${bodies.length} distinct realistic messages (~${avgBytes} bytes), ${concurrency} keep-alive connections, ${seconds} s measured per round, ${rounds} rounds`,
    );
    const results: { bare: LoadResult[]; ingest: LoadResult[] } = { bare: [], ingest: [] };
    for (let round = 1; round <= rounds; round++) {
      const b = await load({
        ...common,
        url: `http://127.0.0.1:${barePort}/`,
        headers: {},
        expectStatus: 200,
      });
      console.log(`  round ${round} bare   ${fmt(b)}`);
      results.bare.push(b);
      const i = await load({
        ...common,
        url: `http://127.0.0.1:${ingestPort}/v3/messages/${log.logId}`,
        headers: { api_key: log.ingestKey },
        expectStatus: 201,
      });
      console.log(`  round ${round} ingest ${fmt(i)}`);
      results.ingest.push(i);
    }
    // The best round of each: noise on a shared machine only ever slows a round down.
    const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.rps > a.rps ? b : a));
    const b = best(results.bare);
    const i = best(results.ingest);
    console.log("");
    console.log(`bare   ${fmt(b)}`);
    console.log(`ingest ${fmt(i)}`);
    const ratio = i.rps / b.rps;
    console.log(
      `ratio  ${(ratio * 100).toFixed(0)}% of the bare server's requests/s (goal ≥ 50%), ingest p99 ${i.p99.toFixed(1)} ms (goal < 20 ms): ${
        ratio >= 0.5 && i.p99 < 20 ? "met" : "not met"
      }`,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${ingestPort}/metrics`)).text();
    const batches = metrics.match(/^faultline_ingest_publish_batches_total\{outcome="ok"\} (\d+)/m)?.[1];
    const published = metrics.match(/^faultline_ingest_published_messages_total (\d+)/m)?.[1];
    if (batches && published) {
      console.log(
        `ingest committed ${published} messages in ${batches} batches (${(Number(published) / Number(batches)).toFixed(1)} per commit)`,
      );
    }
    if (profile) {
      await stop(ingestChild);
      console.log(`cpu profile of ingest: ${join(dir, "profile")} (kept)`);
    }
  } finally {
    for (const child of children) await stop(child);
    if (!profile) rmSync(dir, { recursive: true, force: true });
  }
}

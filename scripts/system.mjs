// Starts the whole system as separate processes, the way production runs it: migrations first,
// then ingest, one process per consumer kind, and the web site. Used by `npm start` and by the
// whole-system tests, so that the tests exercise exactly what a newcomer runs.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const BUNDLES = {
  cli: join(ROOT, "apps/cli/dist/faultline.mjs"),
  ingest: join(ROOT, "apps/ingest/dist/main.mjs"),
  consumers: join(ROOT, "apps/consumers/dist/main.mjs"),
  web: join(ROOT, "apps/web/.next/BUILD_ID"),
};

/** Throws a message that says what to run when a part has not been built. */
export function assertBuilt() {
  const missing = Object.entries(BUNDLES).filter(([, file]) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(
      `not built: ${missing.map(([name]) => name).join(", ")} — run \`npm run build\` (npm start does it for you)`,
    );
  }
}

/**
 * The web site signs sessions with NEXTAUTH_SECRET. When the operator has not set one, a random
 * secret is made once and kept in the data folder, so sessions survive restarts.
 */
function authSecret(dataDir, env) {
  if (env.NEXTAUTH_SECRET) return env.NEXTAUTH_SECRET;
  const file = join(dataDir, "auth-secret");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

function nextBin() {
  return createRequire(join(ROOT, "apps/web/package.json")).resolve("next/dist/bin/next");
}

/** Runs the operator CLI to completion; resolves with its output, rejects on a non-zero exit. */
export function runCli(args, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BUNDLES.cli, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`faultline ${args.join(" ")} exited ${code}: ${err || out}`));
    });
  });
}

/** A part died while we waited for it: waiting longer cannot help. */
class ExitedError extends Error {}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      if (e instanceof ExitedError) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms${last ? ` (${last.message})` : ""}`);
}

async function httpOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

/**
 * Starts every part. Options:
 * - dataDir, webPort, ingestPort: where data lives and what to listen on
 * - env: extra environment for every process (e.g. FAULTLINE_BUS_LOCK_MS)
 * - consumers: { indexer: n, archiver: n } processes per kind (default one each)
 * - supervise: restart a part that exits on its own (npm start) — tests turn this off to
 *   control crashes themselves
 * - onOutput(name, line): every line a part prints (default: prefixed to this process's stdout)
 * Resolves once ingest and web answer their health checks and every consumer said it is ready.
 */
export async function startSystem(options) {
  assertBuilt();
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const webPort = options.webPort ?? 3000;
  const ingestPort = options.ingestPort ?? 3100;
  const baseEnv = { ...process.env, ...options.env };
  const env = {
    ...baseEnv,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    FAULTLINE_DATA_DIR: dataDir,
    FAULTLINE_INGEST_PORT: String(ingestPort),
    FAULTLINE_WEB_PORT: String(webPort),
    FAULTLINE_PUBLIC_INGEST_URL: baseEnv.FAULTLINE_PUBLIC_INGEST_URL || `http://localhost:${ingestPort}`,
    NEXTAUTH_URL: baseEnv.NEXTAUTH_URL || `http://localhost:${webPort}`,
    NEXTAUTH_SECRET: authSecret(dataDir, baseEnv),
  };
  const onOutput =
    options.onOutput ?? ((name, line) => process.stdout.write(`${`[${name}]`.padEnd(12)} ${line}\n`));
  const supervise = options.supervise ?? false;
  const counts = { indexer: 1, archiver: 1, stats: 1, ...options.consumers };

  await runCli(["migrate"], env);

  const parts = new Map();
  let stopping = false;

  const specs = [
    { name: "ingest", args: [BUNDLES.ingest], cwd: ROOT },
    ...Object.entries(counts).flatMap(([kind, n]) =>
      Array.from({ length: n }, (_, i) => ({
        name: n > 1 ? `${kind}-${i + 1}` : kind,
        args: [BUNDLES.consumers, kind],
        cwd: ROOT,
        readyLine: true,
      })),
    ),
    { name: "web", args: [nextBin(), "start", "-p", String(webPort)], cwd: join(ROOT, "apps/web") },
  ];

  function launch(spec) {
    // detached: each part leads its own process group, so stopping it also stops the children
    // it started (next start leaves a next-server child otherwise).
    const child = spawn(process.execPath, spec.args, {
      cwd: spec.cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const part = { spec, child, ready: false, lastLines: [], restarts: parts.get(spec.name)?.restarts ?? 0 };
    parts.set(spec.name, part);
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = "";
      stream.on("data", (chunk) => {
        buffered += chunk;
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (spec.readyLine && line.includes('"msg":"ready"')) part.ready = true;
          part.lastLines.push(line);
          if (part.lastLines.length > 20) part.lastLines.shift();
          onOutput(spec.name, line);
          nl = buffered.indexOf("\n");
        }
      });
    }
    child.on("exit", (code, signal) => {
      part.exited = { code, signal };
      if (stopping || part.stopping) return;
      onOutput(spec.name, `exited (${signal ?? `code ${code}`})`);
      if (supervise && part.restarts < 20) {
        part.restarts += 1;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(part.restarts, 6));
        onOutput(spec.name, `restarting in ${delay} ms`);
        setTimeout(() => !stopping && launch(spec), delay);
      }
    });
    return part;
  }

  async function waitReady(name, timeoutMs = 60_000) {
    const part = parts.get(name);
    if (name === "ingest")
      return waitFor("ingest", () => httpOk(`http://127.0.0.1:${ingestPort}/healthz`), timeoutMs);
    if (name === "web")
      return waitFor("web", () => httpOk(`http://127.0.0.1:${webPort}/api/healthz`), timeoutMs);
    return waitFor(
      name,
      () => {
        if (part.exited) throw new Error(`${name} exited (${part.exited.signal ?? part.exited.code})`);
        return part.ready;
      },
      timeoutMs,
    );
  }

  function signalGroup(part, signal) {
    try {
      process.kill(-part.child.pid, signal);
    } catch {
      // already gone
    }
  }

  async function stopPart(name, { timeoutMs = 10_000 } = {}) {
    const part = parts.get(name);
    if (!part || part.exited) return;
    part.stopping = true;
    const exited = new Promise((r) => part.child.once("exit", r));
    signalGroup(part, "SIGTERM");
    const timer = setTimeout(() => signalGroup(part, "SIGKILL"), timeoutMs);
    await exited;
    clearTimeout(timer);
    // The group may outlive its leader (next-server); make sure nothing keeps the port.
    signalGroup(part, "SIGKILL");
  }

  for (const spec of specs) launch(spec);
  try {
    await Promise.all(specs.map((s) => waitReady(s.name)));
  } catch (e) {
    stopping = true;
    await Promise.all([...parts.keys()].map((n) => stopPart(n)));
    throw e;
  }

  return {
    dataDir,
    env,
    webUrl: `http://localhost:${webPort}`,
    ingestUrl: `http://localhost:${ingestPort}`,
    /** Names of the running parts. */
    parts: () => [...parts.keys()],
    /** Sends a signal to one part's process group without restarting it (crash tests). */
    async kill(name, signal = "SIGKILL") {
      const part = parts.get(name);
      part.stopping = true;
      const exited = part.exited ? Promise.resolve() : new Promise((r) => part.child.once("exit", r));
      signalGroup(part, signal);
      await exited;
    },
    /** Starts a part again (after kill) and waits until it is ready. */
    async restart(name) {
      const part = parts.get(name);
      if (part && !part.exited) await stopPart(name);
      launch(part.spec);
      await waitReady(name);
    },
    /** Stops every part: SIGTERM, then SIGKILL after a grace period. */
    async stop() {
      stopping = true;
      await Promise.all([...parts.keys()].map((n) => stopPart(n)));
    },
  };
}

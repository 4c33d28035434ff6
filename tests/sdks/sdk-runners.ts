// Runs the real Sentry SDKs against any DSN: @sentry/node in a child process, Python's
// sentry-sdk from tests/.venv, @sentry/browser inside Chromium. Used by the fixture capture
// script and by the tests that send to a running ingest.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

const run = promisify(execFile);
export const TESTS_DIR = join(import.meta.dirname, "..");
export const ROOT = join(TESTS_DIR, "..");
const SENDERS = join(import.meta.dirname, "senders");
export const VENV = join(TESTS_DIR, ".venv");
export const VENV_PYTHON = join(VENV, "bin", "python");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export interface SentResult {
  eventIds: string[];
}

function runChild(command: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${err}${out}`));
    });
  });
}

function lastJsonLine(out: string): SentResult {
  const line = out.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as SentResult;
}

/** @sentry/node in a child process (it instruments the process it runs in). */
export async function sendWithNode(dsn: string, scenario: "exception" | "message"): Promise<SentResult> {
  const tsx = join(ROOT, "node_modules", ".bin", "tsx");
  return lastJsonLine(await runChild(tsx, [join(SENDERS, "node-sender.ts"), dsn, scenario]));
}

/**
 * The venv's python with sentry-sdk installed, creating the venv if it is missing (PyPI must
 * then be reachable). Resolves with the reason instead when that is impossible.
 */
export async function ensurePythonVenv(): Promise<{ python: string } | { unavailable: string }> {
  const ready = async () => {
    try {
      await run(VENV_PYTHON, ["-c", "import sentry_sdk"]);
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(VENV_PYTHON) && (await ready())) return { python: VENV_PYTHON };
  try {
    await run("python3", ["--version"]);
  } catch {
    return { unavailable: "python3 is not installed" };
  }
  try {
    await run("python3", ["-m", "venv", VENV], { timeout: 120_000 });
    await run(
      join(VENV, "bin", "pip"),
      ["install", "-q", "-r", join(import.meta.dirname, "requirements.txt")],
      {
        timeout: 300_000,
      },
    );
  } catch (error) {
    return { unavailable: `could not create tests/.venv with sentry-sdk: ${(error as Error).message}` };
  }
  return (await ready())
    ? { python: VENV_PYTHON }
    : { unavailable: "sentry_sdk does not import in tests/.venv" };
}

export async function sendWithPython(
  python: string,
  dsn: string,
  scenario: "exception" | "message",
): Promise<SentResult> {
  return lastJsonLine(await runChild(python, [join(SENDERS, "python_sender.py"), dsn, scenario]));
}

/** A page on localhost that loads @sentry/browser, bundled with esbuild; close() stops it. */
export async function serveBrowserPage(): Promise<{ url: string; close(): Promise<void> }> {
  const { build } = await import("esbuild");
  const dir = mkdtempSync(join(tmpdir(), "faultline-browser-sdk-"));
  await build({
    entryPoints: [join(SENDERS, "browser-page.ts")],
    bundle: true,
    format: "iife",
    target: "es2022",
    platform: "browser",
    sourcemap: false,
    outfile: join(dir, "page.js"),
    logLevel: "silent",
  });
  const script = readFileSync(join(dir, "page.js"));
  rmSync(dir, { recursive: true, force: true });
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><title>shop</title></head><body><script src="/page.js"></script></body></html>';
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/page.js")) {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else {
      res.writeHead(200, { "content-type": "text/html" }).end(html);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/checkout`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Opens the page in Chromium with the DSN and runs a scenario; resolves once the SDK flushed. */
export async function sendWithBrowser(
  pageUrl: string,
  dsn: string,
  scenario: "exception" | "message",
): Promise<SentResult & { pageErrors: string[] }> {
  const { chromium } = await import("playwright-core");
  // launch() gives the browser a fresh temporary profile of its own (the --user-data-dir).
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${pageUrl}?dsn=${encodeURIComponent(dsn)}`);
    const result = await page.evaluate((s) => window.sendSentryScenario(s), scenario);
    return { ...result, pageErrors };
  } finally {
    await browser.close();
  }
}

/** One request a capture server received, its body decompressed. */
export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  /** Size on the wire, before decompression. */
  wireBytes: number;
}

/**
 * A stand-in Sentry server that records every request and answers 200 (with the CORS headers a
 * browser needs), so the SDKs' payloads can be stored as fixtures exactly as they were sent.
 */
export async function startCaptureServer(): Promise<{
  port: number;
  requests: CapturedRequest[];
  close(): Promise<void>;
}> {
  const requests: CapturedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const cors = {
      "access-control-allow-origin": "*",
      "access-control-allow-headers": "*",
      "access-control-allow-methods": "POST, OPTIONS",
    };
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "OPTIONS") {
        res.writeHead(204, cors).end();
        return;
      }
      const wire = Buffer.concat(chunks);
      const encoding = req.headers["content-encoding"];
      const body =
        encoding === "gzip"
          ? gunzipSync(wire)
          : encoding === "deflate"
            ? inflateSync(wire)
            : encoding === "br"
              ? brotliDecompressSync(wire)
              : wire;
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        wireBytes: wire.length,
      });
      res.writeHead(200, { ...cors, "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SuperJSONResult } from "superjson";
import { type RunningSystem, runCli, type StartOptions, startSystem } from "../../scripts/system.mjs";

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestSystem extends RunningSystem {
  /** Every line the parts printed, for diagnosing a failure. */
  output: string[];
  cleanup(): Promise<void>;
  cli(args: string[]): Promise<string>;
}

/** Starts the real processes, as `npm start` does, in a fresh data folder on free ports. */
export async function startTestSystem(options: Partial<StartOptions> = {}): Promise<TestSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), "faultline-system-"));
  const output: string[] = [];
  const system = await startSystem({
    dataDir,
    webPort: await freePort(),
    ingestPort: await freePort(),
    supervise: false,
    onOutput: (name, line) => {
      output.push(`[${name}] ${line}`);
      if (process.env.FAULTLINE_TEST_VERBOSE) console.log(`[${name}] ${line}`);
    },
    ...options,
  });
  return {
    ...system,
    output,
    cli: (args) => runCli(args, system.env),
    async cleanup() {
      await system.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CreatedLog {
  logId: string;
  projectId: number;
  ingestKey: string;
  dsn: string;
  endpoint: string;
}

/** Creates a user in an organization and a log, through the operator CLI. */
export async function createUserAndLog(
  system: TestSystem,
  user: { email: string; password: string; org: string; log: string },
): Promise<CreatedLog> {
  await system.cli([
    "users",
    "create",
    "--email",
    user.email,
    "--password",
    user.password,
    "--org",
    user.org,
  ]);
  const out = await system.cli(["logs", "create", "--org", user.org, "--name", user.log, "--json"]);
  return JSON.parse(out) as CreatedLog;
}

function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]!);
}

/** Signs in through next-auth's credentials endpoint; resolves with the session cookie header. */
export async function signIn(webUrl: string, email: string, password: string): Promise<string> {
  const csrfRes = await fetch(`${webUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookies = cookiesOf(csrfRes);
  const res = await fetch(`${webUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookies.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: webUrl, json: "true" }),
  });
  const session = cookiesOf(res).find((c) => c.includes("session-token="));
  if (!session) throw new Error(`sign-in failed for ${email}: HTTP ${res.status}`);
  return [...csrfCookies, session].join("; ");
}

/**
 * Calls the web site's tRPC API over HTTP as a browser would (superjson-encoded input, no
 * batching), so the test goes through routing, the session and the membership checks.
 */
export function trpcClient(webUrl: string, cookie: string) {
  async function call<T>(method: "GET" | "POST", path: string, input: unknown): Promise<T> {
    const { default: superjson } = await import("superjson");
    const encoded = JSON.stringify(superjson.serialize(input));
    const url =
      method === "GET"
        ? `${webUrl}/api/trpc/${path}?input=${encodeURIComponent(encoded)}`
        : `${webUrl}/api/trpc/${path}`;
    const res = await fetch(url, {
      method,
      headers: { cookie, "content-type": "application/json" },
      body: method === "POST" ? encoded : undefined,
    });
    const body = (await res.json()) as {
      result?: { data: SuperJSONResult };
      error?: { json: { message: string; data?: { code?: string } } };
    };
    if (!res.ok || body.error) {
      const err = body.error?.json;
      throw Object.assign(new Error(`${path}: ${err?.message ?? res.status}`), {
        code: err?.data?.code,
        status: res.status,
      });
    }
    return superjson.deserialize(body.result!.data) as T;
  }
  return {
    query: <T>(path: string, input: unknown) => call<T>("GET", path, input),
    mutation: <T>(path: string, input: unknown) => call<T>("POST", path, input),
  };
}

/** A realistic elmah.io v3 error of about 3–5 KB, with a .NET stack trace. */
export function realisticMessage(i: number, extra: Record<string, unknown> = {}) {
  const frames = Array.from(
    { length: 28 },
    (_, f) =>
      `   at Shop.Web.Orders.Step${f}(OrderContext ctx, Int32 attempt) in /src/Shop.Web/Orders/Step${f}.cs:line ${40 + f}`,
  ).join("\n");
  return {
    title: `Order ${i} could not be saved: deadlock on table Orders`,
    severity: i % 10 === 0 ? "Fatal" : i % 3 === 0 ? "Warning" : "Error",
    type: "System.Data.SqlClient.SqlException",
    source: "Shop.Web",
    hostname: `web-${(i % 4) + 1}`,
    application: "Shop",
    version: "2.8.1",
    statusCode: 500,
    url: `/orders/${i}/save`,
    method: "POST",
    user: `customer${i % 50}@example.com`,
    detail: `System.Data.SqlClient.SqlException (0x80131904): Transaction (Process ID ${i}) was deadlocked\n${frames}`,
    serverVariables: [
      {
        key: "HTTP_USER_AGENT",
        value: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
      },
      { key: "REMOTE_ADDR", value: `10.0.${i % 255}.${(i * 7) % 255}` },
      { key: "HTTP_ACCEPT_LANGUAGE", value: "en-US,en;q=0.9" },
    ],
    data: [
      { key: "orderId", value: String(i) },
      { key: "tenant", value: "acme" },
    ],
    ...extra,
  };
}

/** Polls until the check returns a value other than undefined, or fails after the timeout. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
}

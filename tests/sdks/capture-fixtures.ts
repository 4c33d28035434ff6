// Regenerates the golden Sentry fixtures in tests/fixtures/sentry from the real SDKs:
//   npx tsx tests/sdks/capture-fixtures.ts
// Each SDK sends to a local capture server; the envelope that carries the event is stored as
// `<sdk>-<scenario>.envelope` (decompressed, byte for byte otherwise), with the canonical
// message the mapping makes of it as `.expected.json` — review that diff before committing.
// index.json records how each SDK sent (content type, encoding, where the key was) and every
// item type it sent, event or not.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSentryEnvelope } from "@faultline/core";
import { expectedPathOf, FIXTURES_DIR, mapFixture } from "./golden";
import {
  CHROMIUM,
  type CapturedRequest,
  ensurePythonVenv,
  sendWithBrowser,
  sendWithNode,
  sendWithPython,
  serveBrowserPage,
  startCaptureServer,
} from "./sdk-runners";

// A fixed, fake public key: the fixtures contain it in the envelope header's dsn.
const KEY = "0123456789abcdef0123456789abcdef";
const SCENARIOS = ["exception", "message"] as const;

interface IndexEntry {
  fixture: string;
  sdk: string;
  method: string;
  path: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  wireBytes: number;
  authIn: string[];
  /** Item types of every request the SDK made during the scenario, in order. */
  itemTypes: string[][];
}

function authLocation(r: CapturedRequest): string[] {
  const where: string[] = [];
  if (typeof r.headers["x-sentry-auth"] === "string") where.push("x-sentry-auth header");
  if (new URL(r.url, "http://x").searchParams.has("sentry_key")) where.push("sentry_key query");
  if (r.body.toString("utf8").split("\n")[0]?.includes('"dsn"')) where.push("envelope header dsn");
  return where;
}

async function main(): Promise<void> {
  mkdirSync(FIXTURES_DIR, { recursive: true });
  const capture = await startCaptureServer();
  const dsn = `http://${KEY}@127.0.0.1:${capture.port}/1`;
  const index: IndexEntry[] = [];

  const senders: { sdk: string; send: (scenario: (typeof SCENARIOS)[number]) => Promise<unknown> }[] = [
    { sdk: "node", send: (s) => sendWithNode(dsn, s) },
  ];
  const python = await ensurePythonVenv();
  if ("python" in python) senders.push({ sdk: "python", send: (s) => sendWithPython(python.python, dsn, s) });
  else console.warn(`python fixtures not captured: ${python.unavailable}`);
  const page = existsSync(CHROMIUM) ? await serveBrowserPage() : undefined;
  if (page) senders.push({ sdk: "browser", send: (s) => sendWithBrowser(page.url, dsn, s) });
  else console.warn(`browser fixtures not captured: no Chromium at ${CHROMIUM}`);

  try {
    for (const { sdk, send } of senders) {
      for (const scenario of SCENARIOS) {
        capture.requests.length = 0;
        await send(scenario);
        // Give a trailing request (a client report sent on close) a moment to land.
        await new Promise((r) => setTimeout(r, 300));
        const parsed = capture.requests.map((r) => ({ request: r, envelope: parseSentryEnvelope(r.body) }));
        const withEvent = parsed.find((p) => p.envelope.items.some((i) => i.header.type === "event"));
        if (!withEvent)
          throw new Error(`${sdk} ${scenario}: no envelope with an event among ${parsed.length}`);
        const fixture = `${sdk}-${scenario}.envelope`;
        writeFileSync(join(FIXTURES_DIR, fixture), withEvent.request.body);
        writeFileSync(expectedPathOf(fixture), `${JSON.stringify(mapFixture(fixture), null, 2)}\n`);
        const r = withEvent.request;
        index.push({
          fixture,
          sdk,
          method: r.method,
          path: new URL(r.url, "http://x").pathname,
          contentType: r.headers["content-type"],
          contentEncoding: r.headers["content-encoding"],
          wireBytes: r.wireBytes,
          authIn: authLocation(r),
          itemTypes: parsed.map((p) => p.envelope.items.map((i) => i.header.type)),
        });
        console.log(
          `${fixture}: ${parsed.length} request(s), items ${JSON.stringify(index.at(-1)!.itemTypes)}`,
        );
        if (sdk === "python" && scenario === "exception") {
          // The same real event as a store body (the endpoint older SDKs post to).
          const item = withEvent.envelope.items.find((i) => i.header.type === "event")!;
          const store = "python-exception.store.json";
          writeFileSync(join(FIXTURES_DIR, store), Buffer.from(item.payload));
          writeFileSync(expectedPathOf(store), `${JSON.stringify(mapFixture(store), null, 2)}\n`);
        }
      }
    }
  } finally {
    await capture.close();
    await page?.close();
  }
  writeFileSync(join(FIXTURES_DIR, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
}

await main();

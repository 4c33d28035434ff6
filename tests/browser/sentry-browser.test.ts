import { existsSync } from "node:fs";
import type { CanonicalMessage, MessageSummary } from "@faultline/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM, sendWithBrowser, serveBrowserPage } from "../sdks/sdk-runners";
import {
  type CreatedLog,
  createUserAndLog,
  eventually,
  signIn,
  startTestSystem,
  type TestSystem,
  trpcClient,
} from "../support/harness";

// CI installs Chromium (.ci/run), so there a missing browser is a failure; elsewhere the suite
// says why it did not run instead of passing silently.
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs it`);
if (missing)
  console.warn(`SKIPPED @sentry/browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const owner = {
  email: "browser-sdk@example.com",
  password: "correct horse battery",
  org: "Web",
  log: "Storefront",
};

describe.skipIf(missing)("@sentry/browser in Chromium against a running Faultline", () => {
  let system: TestSystem;
  let log: CreatedLog;
  let trpc: ReturnType<typeof trpcClient>;
  let page: Awaited<ReturnType<typeof serveBrowserPage>>;

  beforeAll(async () => {
    system = await startTestSystem();
    log = await createUserAndLog(system, owner);
    trpc = trpcClient(system.webUrl, await signIn(system.webUrl, owner.email, owner.password));
    // Served from localhost on its own port: a cross-origin page, as a customer's site is.
    page = await serveBrowserPage();
  });

  afterAll(async () => {
    await page?.close();
    await system?.cleanup();
  });

  it("a caught TypeError reaches ingest across origins and is found with its frames and event id", async () => {
    const { eventIds, pageErrors } = await sendWithBrowser(page.url, log.dsn, "exception");
    expect(pageErrors).toEqual([]);
    expect(eventIds).toHaveLength(1);
    const eventId = eventIds[0]!;
    const summary = await eventually("the browser event in search", async () => {
      const res: { items: MessageSummary[] } = await trpc.query("messages.search", {
        logId: log.logId,
        query: "amount",
      });
      return res.items.find((m) => m.id === eventId);
    });
    expect(summary).toMatchObject({
      title: "TypeError: Cannot read properties of undefined (reading 'amount')",
      severity: "Error",
      type: "TypeError",
      user: "linus@example.com",
    });
    const message: CanonicalMessage = await trpc.query("messages.get", { logId: log.logId, id: eventId });
    expect(message.url).toMatch(/^http:\/\/localhost:\d+\/checkout/);
    expect(message.version).toBe("shop-web@5.0.1");
    const frames = message.exceptions![0]!.frames;
    expect(frames.at(-1)).toMatchObject({ function: "renderPrice" });
    expect(frames.at(-1)?.filename).toMatch(/\/page\.js$/);
    expect(message.serverVariables.find((kv) => kv.key === "User-Agent")?.value).toMatch(/Chrome/);
  });

  it("captureMessage at info level", async () => {
    const { eventIds } = await sendWithBrowser(page.url, log.dsn, "message");
    const summary = await eventually("the browser message in search", async () => {
      const res: { items: MessageSummary[] } = await trpc.query("messages.search", {
        logId: log.logId,
        query: "rendered without prices",
      });
      return res.items.find((m) => m.id === eventIds[0]);
    });
    expect(summary).toMatchObject({
      title: "Checkout page rendered without prices",
      severity: "Information",
    });
  });
});

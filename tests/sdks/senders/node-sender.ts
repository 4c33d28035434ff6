// Sends Sentry events with the real @sentry/node SDK, as an application would. Run as a child
// process (the SDK patches globals): `tsx node-sender.ts <dsn> <scenario>`. Prints one JSON line
// `{ "eventIds": [...] }` once the SDK has flushed.
import * as Sentry from "@sentry/node";

const [dsn, scenario = "exception"] = process.argv.slice(2);
if (!dsn) {
  console.error("usage: node-sender <dsn> [exception|message]");
  process.exit(2);
}

Sentry.init({
  dsn,
  release: "shop-node@1.4.2",
  environment: "staging",
  serverName: "node-capture-host",
  // Deterministic: no sampling, no performance data, no default integrations that read the
  // machine (so a fixture does not change with where it was captured).
  sampleRate: 1,
  tracesSampleRate: 0,
  sendClientReports: true,
});

Sentry.setUser({ id: "u-17", email: "ada@example.com", username: "ada" });
Sentry.setTag("tenant", "acme");
Sentry.setContext("order", { id: 42, total: 99.5 });
Sentry.addBreadcrumb({ category: "auth", message: "user signed in", level: "info" });
Sentry.addBreadcrumb({
  type: "http",
  category: "http",
  data: { method: "GET", url: "https://payments.example.com/v1/charge", status_code: 502 },
});

function chargeCard(orderId: number): never {
  throw new TypeError(`card declined for order ${orderId}`);
}

function checkout(orderId: number): void {
  try {
    chargeCard(orderId);
  } catch (cause) {
    throw new Error(`checkout failed for order ${orderId}`, { cause });
  }
}

const eventIds: string[] = [];
if (scenario === "exception") {
  try {
    checkout(42);
  } catch (error) {
    eventIds.push(Sentry.captureException(error, { fingerprint: ["{{ default }}", "checkout"] }));
  }
} else if (scenario === "message") {
  eventIds.push(Sentry.captureMessage("Inventory low for SKU X1: 3 left", "warning"));
} else {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}

const flushed = await Sentry.flush(10_000);
await Sentry.close(2_000);
console.log(JSON.stringify({ eventIds, flushed }));

// Bundled with esbuild into the page the browser test and the fixture capture open. The DSN
// comes from the page's query string, so one bundle serves every run.
import * as Sentry from "@sentry/browser";

declare global {
  interface Window {
    sendSentryScenario: (scenario: string) => Promise<{ eventIds: string[]; flushed: boolean }>;
  }
}

const dsn = new URLSearchParams(location.search).get("dsn");
if (dsn) {
  Sentry.init({
    dsn,
    release: "shop-web@5.0.1",
    environment: "production",
    sampleRate: 1,
    // Only what an error needs: no session tracking that would make the capture vary.
    integrations: (defaults) => defaults.filter((i) => i.name !== "BrowserSession"),
  });
  Sentry.setUser({ id: "u-5", email: "linus@example.com" });
  Sentry.setTag("tenant", "initech");
}

function renderPrice(cart: { total?: { amount: number } }): string {
  // A typical UI bug: a missing nested object.
  return (cart.total as { amount: number }).amount.toFixed(2);
}

window.sendSentryScenario = async (scenario) => {
  const eventIds: string[] = [];
  if (scenario === "exception") {
    Sentry.addBreadcrumb({ category: "ui.click", message: "button#checkout", level: "info" });
    try {
      renderPrice({});
    } catch (error) {
      eventIds.push(Sentry.captureException(error));
    }
  } else if (scenario === "message") {
    eventIds.push(Sentry.captureMessage("Checkout page rendered without prices", "info"));
  }
  const flushed = await Sentry.flush(10_000);
  return { eventIds, flushed };
};

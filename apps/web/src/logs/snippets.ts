/** The copy-paste snippets of a log's setup page. Pure, so they can be tested. */

/** A curl command that posts one elmah.io v3 message. */
export function curlSnippet(endpoint: string, key: string): string {
  const body = {
    title: "Something went wrong in checkout",
    severity: "Error",
    type: "System.InvalidOperationException",
    source: "Shop.Checkout",
    hostname: "web-1",
    statusCode: 500,
    url: "/checkout",
    method: "POST",
    detail:
      "System.InvalidOperationException: Something went wrong in checkout\n   at Shop.Checkout.Submit()",
  };
  // Single quotes around the JSON: it contains no single quote, so a POSIX shell passes it as is.
  return [
    `curl -X POST "${endpoint}" \\`,
    `  -H "api_key: ${key}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '${JSON.stringify(body)}'`,
  ].join("\n");
}

/** A minimal @sentry/node set-up that reports to this log. */
export function sentryNodeSnippet(dsn: string): string {
  return [
    `import * as Sentry from "@sentry/node";`,
    ``,
    `Sentry.init({`,
    `  dsn: "${dsn}",`,
    `  environment: process.env.NODE_ENV,`,
    `});`,
    ``,
    `// Uncaught errors are reported automatically; report handled ones yourself:`,
    `try {`,
    `  await chargeCard(order);`,
    `} catch (error) {`,
    `  Sentry.captureException(error);`,
    `}`,
  ].join("\n");
}

/** The DSN shown when the key itself is not known any more: the template with the placeholder. */
export function dsnForKey(dsnTemplate: string, placeholder: string, key: string | undefined): string {
  return key ? dsnTemplate.replace(placeholder, key) : dsnTemplate;
}

import { describe, expect, it } from "vitest";
import { curlSnippet, dsnForKey, sentryNodeSnippet } from "./snippets";

describe("setup snippets", () => {
  it("curl posts valid elmah.io JSON to the endpoint with the key header", () => {
    const snippet = curlSnippet("http://localhost:3100/v3/messages/log-1", "0123abcd");
    expect(snippet).toContain('curl -X POST "http://localhost:3100/v3/messages/log-1"');
    expect(snippet).toContain('-H "api_key: 0123abcd"');
    const body = /-d '(.*)'$/m.exec(snippet)?.[1];
    expect(body).toBeDefined();
    expect(JSON.parse(body!)).toMatchObject({ title: expect.any(String), severity: "Error" });
  });

  it("the Sentry example is configured with the DSN", () => {
    expect(sentryNodeSnippet("http://k@host:3100/7")).toContain('dsn: "http://k@host:3100/7"');
  });

  it("fills a key into the DSN template, or leaves the placeholder", () => {
    const template = "http://YOUR_INGEST_KEY@host:3100/7";
    expect(dsnForKey(template, "YOUR_INGEST_KEY", "abc")).toBe("http://abc@host:3100/7");
    expect(dsnForKey(template, "YOUR_INGEST_KEY", undefined)).toBe(template);
  });
});

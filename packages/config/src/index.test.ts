import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index";

describe("loadConfig", () => {
  it("uses the embedded engines and ./.faultline by default", () => {
    const c = loadConfig({}, {}, "/srv/app");
    expect(c.dataDir).toBe("/srv/app/.faultline");
    expect(c.bus).toEqual({ kind: "sqlite", file: "/srv/app/.faultline/bus.db", lockMs: 30000, maxDeliveries: 10 });
    expect(c.search.kind).toBe("sqlite");
    expect(c.archive).toEqual({ kind: "folder", dir: "/srv/app/.faultline/archive" });
    expect(c.ingest.port).toBe(3100);
    expect(c.publicIngestUrl).toBe("http://localhost:3100");
  });

  it("reports every problem at once, naming each variable", () => {
    let error: unknown;
    try {
      loadConfig({ FAULTLINE_BUS: "kafka", FAULTLINE_INGEST_PORT: "http", FAULTLINE_SEARCH: "solr" }, { authSecret: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/FAULTLINE_BUS: .*\(got "kafka"\)/);
    expect(problems).toMatch(/FAULTLINE_INGEST_PORT/);
    expect(problems).toMatch(/FAULTLINE_SEARCH: .*\(got "solr"\)/);
    expect(problems).toMatch(/NEXTAUTH_SECRET: required/);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ FAULTLINE_DATA_DIR: "", FAULTLINE_BUS: "" }, {}, "/x").dataDir).toBe("/x/.faultline");
  });

  it("keeps an absolute data dir as given", () => {
    expect(loadConfig({ FAULTLINE_DATA_DIR: "/var/lib/faultline" }).db.file).toBe("/var/lib/faultline/faultline.db");
  });
});

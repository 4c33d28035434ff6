import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index";

describe("loadConfig", () => {
  it("uses the embedded engines and ./.faultline by default", () => {
    const c = loadConfig({}, {}, "/srv/app");
    expect(c.dataDir).toBe("/srv/app/.faultline");
    expect(c.bus).toEqual({
      kind: "sqlite",
      file: "/srv/app/.faultline/bus.db",
      lockMs: 30000,
      maxDeliveries: 10,
    });
    expect(c.search.kind).toBe("sqlite");
    expect(c.archive).toEqual({ kind: "folder", dir: "/srv/app/.faultline/archive" });
    expect(c.ingest.port).toBe(3100);
    expect(c.publicIngestUrl).toBe("http://localhost:3100");
  });

  it("has deliberate ingest limits by default and takes each from the environment", () => {
    expect(loadConfig({}).ingest).toEqual({
      host: "0.0.0.0",
      port: 3100,
      maxBodyBytes: 262144,
      maxJsonDepth: 64,
      maxHeaderBytes: 16384,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      keepAliveTimeoutMs: 65000,
      maxConnections: 8192,
    });
    const set = loadConfig({
      FAULTLINE_INGEST_MAX_JSON_DEPTH: "32",
      FAULTLINE_INGEST_MAX_HEADER_BYTES: "8192",
      FAULTLINE_INGEST_HEADERS_TIMEOUT_MS: "5000",
      FAULTLINE_INGEST_REQUEST_TIMEOUT_MS: "20000",
      FAULTLINE_INGEST_KEEP_ALIVE_TIMEOUT_MS: "75000",
      FAULTLINE_INGEST_MAX_CONNECTIONS: "1000",
    }).ingest;
    expect(set).toMatchObject({
      maxJsonDepth: 32,
      maxHeaderBytes: 8192,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 20000,
      keepAliveTimeoutMs: 75000,
      maxConnections: 1000,
    });
    expect(() => loadConfig({ FAULTLINE_INGEST_MAX_CONNECTIONS: "0" })).toThrow(
      /FAULTLINE_INGEST_MAX_CONNECTIONS/,
    );
  });

  it("reports every problem at once, naming each variable", () => {
    let error: unknown;
    try {
      loadConfig(
        { FAULTLINE_BUS: "kafka", FAULTLINE_INGEST_PORT: "http", FAULTLINE_SEARCH: "solr" },
        { authSecret: true },
      );
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
    expect(loadConfig({ FAULTLINE_DATA_DIR: "/var/lib/faultline" }).db).toEqual({
      kind: "sqlite",
      file: "/var/lib/faultline/faultline.db",
    });
  });

  it("names the setting a chosen production engine is missing", () => {
    let error: unknown;
    try {
      loadConfig({
        FAULTLINE_DB: "postgres",
        FAULTLINE_BUS: "rabbitmq",
        FAULTLINE_SEARCH: "elasticsearch",
        FAULTLINE_ARCHIVE: "azure-blob",
      });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      "DATABASE_URL: required when FAULTLINE_DB=postgres",
      "FAULTLINE_RABBITMQ_URL: required when FAULTLINE_BUS=rabbitmq",
      "FAULTLINE_ELASTICSEARCH_URL: required when FAULTLINE_SEARCH=elasticsearch",
      "FAULTLINE_AZURE_STORAGE_CONNECTION_STRING: required when FAULTLINE_ARCHIVE=azure-blob",
    ]);
  });

  it("builds each production engine's settings", () => {
    const c = loadConfig({
      FAULTLINE_DB: "postgres",
      DATABASE_URL: "postgres://u:p@db:5432/faultline",
      FAULTLINE_BUS: "azure-service-bus",
      FAULTLINE_SERVICEBUS_CONNECTION_STRING:
        "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v",
      FAULTLINE_SEARCH: "elasticsearch",
      FAULTLINE_ELASTICSEARCH_URL: "http://es:9200",
      FAULTLINE_ARCHIVE: "azure-blob",
      FAULTLINE_AZURE_STORAGE_CONNECTION_STRING: "UseDevelopmentStorage=true",
    });
    expect(c.db).toEqual({ kind: "postgres", url: "postgres://u:p@db:5432/faultline" });
    expect(c.bus).toMatchObject({
      kind: "azure-service-bus",
      topic: "messages",
      lockMs: 30000,
      maxDeliveries: 10,
    });
    expect(c.search).toEqual({ kind: "elasticsearch", url: "http://es:9200", indexPrefix: "faultline" });
    expect(c.archive).toEqual({
      kind: "azure-blob",
      connectionString: "UseDevelopmentStorage=true",
      container: "faultline-archive",
    });
    expect(
      loadConfig({ FAULTLINE_BUS: "rabbitmq", FAULTLINE_RABBITMQ_URL: "amqp://localhost" }).bus,
    ).toMatchObject({
      kind: "rabbitmq",
      url: "amqp://localhost",
      exchange: "faultline.messages",
    });
  });
});

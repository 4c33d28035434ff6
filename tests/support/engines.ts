import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import pg from "pg";
import { freePort } from "./harness";

/** Environment that selects a set of engines for every process, and how to dispose of it. */
export interface EngineSet {
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

const REQUIRED = [
  "FAULTLINE_TEST_POSTGRES_URL",
  "FAULTLINE_TEST_RABBITMQ_URL",
  "FAULTLINE_TEST_ELASTICSEARCH_URL",
];

/** Why the production engines cannot be used here, or undefined when they can. */
export function productionEnginesSkipReason(): string | undefined {
  const missing = REQUIRED.filter((name) => !process.env[name]);
  return missing.length > 0
    ? `${missing.join(", ")} not set — run \`eval "$(scripts/engines.sh)"\` to start PostgreSQL, RabbitMQ and Elasticsearch`
    : undefined;
}

// Azurite's published development account (the same for every Azurite installation).
const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

async function startAzurite(): Promise<{ connectionString: string; process: ChildProcess }> {
  const port = await freePort();
  const main = createRequire(import.meta.url).resolve("azurite/dist/src/blob/main.js");
  const child = spawn(
    process.execPath,
    [
      main,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--inMemoryPersistence",
      "--disableTelemetry",
      "--silent",
    ],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT}?comp=list`);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("Azurite did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    process: child,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`,
  };
}

/**
 * PostgreSQL, RabbitMQ and Elasticsearch as started by scripts/engines.sh, and Azurite started
 * here. Every name is unique to this run (database, exchange, index prefix, container), so runs
 * never see each other's data.
 */
export async function productionEngines(): Promise<EngineSet> {
  const reason = productionEnginesSkipReason();
  if (reason) throw new Error(reason);
  const suffix = randomBytes(4).toString("hex");
  const adminUrl = process.env.FAULTLINE_TEST_POSTGRES_URL!;
  const database = `faultline_system_${suffix}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${database}`;
  const azurite = await startAzurite();
  const esUrl = process.env.FAULTLINE_TEST_ELASTICSEARCH_URL!;
  const indexPrefix = `faultline-system-${suffix}`;
  return {
    env: {
      FAULTLINE_DB: "postgres",
      DATABASE_URL: dbUrl.toString(),
      FAULTLINE_BUS: "rabbitmq",
      FAULTLINE_RABBITMQ_URL: process.env.FAULTLINE_TEST_RABBITMQ_URL!,
      FAULTLINE_RABBITMQ_EXCHANGE: `faultline.system.${suffix}`,
      FAULTLINE_SEARCH: "elasticsearch",
      FAULTLINE_ELASTICSEARCH_URL: esUrl,
      FAULTLINE_ELASTICSEARCH_INDEX_PREFIX: indexPrefix,
      FAULTLINE_ARCHIVE: "azure-blob",
      FAULTLINE_AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      FAULTLINE_AZURE_STORAGE_CONTAINER: `system-${suffix}`,
    },
    async cleanup() {
      azurite.process.kill("SIGKILL");
      await fetch(`${esUrl}/${indexPrefix}-*`, { method: "DELETE" }).catch(() => {});
      await fetch(`${esUrl}/_index_template/${indexPrefix}*`, { method: "DELETE" }).catch(() => {});
      const drop = new pg.Client({ connectionString: adminUrl });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await drop.end();
    },
  };
}

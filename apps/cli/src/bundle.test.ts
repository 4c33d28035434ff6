import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = mkdtempSync(join(tmpdir(), "faultline-cli-bundle-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// The real artefact `npm start`, the system test and operators run: bundled by esbuild, with
// better-sqlite3, kysely and zod resolved from node_modules at run time.
describe("the bundled faultline command", () => {
  beforeAll(async () => {
    await exec("npm", ["run", "build"], { cwd: appDir });
  }, 120_000);

  const cli = (...args: string[]) =>
    exec(process.execPath, [join(appDir, "dist/faultline.mjs"), ...args], {
      cwd: appDir,
      env: {
        ...process.env,
        FAULTLINE_DATA_DIR: dataDir,
        FAULTLINE_PUBLIC_INGEST_URL: "http://ingest.test:3100",
      },
    });

  it("migrates, then creates a log and prints its JSON", async () => {
    const migrated = await cli("migrate");
    expect(migrated.stdout).toContain("applied 0001-initial");
    await cli(
      "users",
      "create",
      "--email",
      "bundle@example.test",
      "--password",
      "bundle pass",
      "--org",
      "Bundle",
    );
    const { stdout } = await cli("logs", "create", "--org", "Bundle", "--name", "app", "--json");
    const out = JSON.parse(stdout) as { logId: string; projectId: number; ingestKey: string; dsn: string };
    expect(Object.keys(out).sort()).toEqual(["dsn", "endpoint", "ingestKey", "logId", "projectId"]);
    expect(out.dsn).toBe(`http://${out.ingestKey}@ingest.test:3100/${out.projectId}`);
  }, 60_000);

  it("exits with 2 on wrong use", async () => {
    const failure = await cli("logs", "create", "--org", "Bundle").then(
      () => null,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("missing required flag --name");
  }, 60_000);
});

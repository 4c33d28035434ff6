import type { Db } from "@faultline/db";
import {
  createIngestKey,
  createLog,
  findOrganizationByName,
  listLogs,
  type Organization,
} from "@faultline/db";
import { FaultlineError } from "@faultline/core";
import { defineCommand } from "../command";
import { ingestDetails, printIngestDetails } from "../ingest-details";

async function requireOrganization(db: Db, name: string): Promise<Organization> {
  const org = await findOrganizationByName(db, name);
  if (!org) throw new FaultlineError("NOT_FOUND", `no organization named "${name}"`);
  return org;
}

export const logsCreate = defineCommand({
  words: ["logs", "create"],
  summary: "Create a log and an ingest key for it; prints the key, endpoint and Sentry DSN.",
  options: {
    org: { type: "string", required: true, value: "NAME", description: "organization name" },
    name: {
      type: "string",
      required: true,
      value: "NAME",
      description: "log name (unique in the organization)",
    },
    json: { type: "boolean", description: "print {logId, projectId, ingestKey, dsn, endpoint}" },
  },
  async run(ctx, o) {
    const db = ctx.db();
    const org = await requireOrganization(db, o.org);
    const log = await createLog(db, { organizationId: org.id, name: o.name });
    const { secret } = await createIngestKey(db, log.id);
    const details = {
      logId: log.id,
      projectId: log.projectId,
      ingestKey: secret,
      ...ingestDetails(ctx.config, log, secret),
    };
    if (o.json) return ctx.json(details);
    ctx.line(`created log "${log.name}" in organization "${org.name}"`);
    ctx.line();
    printIngestDetails(ctx, details);
  },
});

export const logsList = defineCommand({
  words: ["logs", "list"],
  summary: "List an organization's logs.",
  options: {
    org: { type: "string", required: true, value: "NAME", description: "organization name" },
    json: { type: "boolean", description: "print a JSON array" },
  },
  async run(ctx, o) {
    const db = ctx.db();
    const logs = await listLogs(db, (await requireOrganization(db, o.org)).id);
    if (o.json) return ctx.json(logs);
    if (logs.length === 0)
      return ctx.line(`no logs in "${o.org}" yet: \`faultline logs create --org NAME --name NAME\``);
    ctx.table(
      ["NAME", "ID", "PROJECT", "RETENTION", "BURST/MIN"],
      logs.map((l) => [
        l.name,
        l.id,
        String(l.projectId),
        `${l.retentionDays} days`,
        l.burstLimitPerMinute === null ? "none" : String(l.burstLimitPerMinute),
      ]),
    );
  },
});

import { FaultlineError } from "@faultline/core";
import { createIngestKey, type Db, getLog, type Log, listIngestKeys, revokeIngestKey } from "@faultline/db";
import { defineCommand } from "../command";
import { ingestDetails, printIngestDetails } from "../ingest-details";

async function requireLog(db: Db, logId: string): Promise<Log> {
  const log = await getLog(db, logId);
  if (!log) throw new FaultlineError("NOT_FOUND", `no log with the id ${logId}`);
  return log;
}

export const keysCreate = defineCommand({
  words: ["keys", "create"],
  summary: "Create another ingest key for a log (e.g. to rotate keys); the key is shown once.",
  options: {
    log: { type: "string", required: true, value: "ID", description: "log id" },
    name: { type: "string", value: "NAME", description: 'a name to tell keys apart (default "default")' },
    json: { type: "boolean", description: "print {logId, projectId, keyId, ingestKey, dsn, endpoint}" },
  },
  async run(ctx, o) {
    const db = ctx.db();
    const log = await requireLog(db, o.log);
    const { key, secret } = await createIngestKey(db, log.id, o.name);
    const details = {
      logId: log.id,
      projectId: log.projectId,
      ingestKey: secret,
      ...ingestDetails(ctx.config, log, secret),
    };
    if (o.json) return ctx.json({ ...details, keyId: key.id });
    ctx.line(`created ingest key "${key.name}" (${key.id}) for log "${log.name}"`);
    ctx.line();
    printIngestDetails(ctx, details);
  },
});

export const keysList = defineCommand({
  words: ["keys", "list"],
  summary: "List a log's ingest keys (only their first characters; keys are stored hashed).",
  options: {
    log: { type: "string", required: true, value: "ID", description: "log id" },
    json: { type: "boolean", description: "print a JSON array" },
  },
  async run(ctx, o) {
    const db = ctx.db();
    const keys = await listIngestKeys(db, (await requireLog(db, o.log)).id);
    if (o.json) return ctx.json(keys);
    ctx.table(
      ["ID", "NAME", "KEY", "CREATED", "REVOKED"],
      keys.map((k) => [k.id, k.name, `${k.prefix}…`, k.createdAt, k.revokedAt ?? "-"]),
    );
  },
});

export const keysRevoke = defineCommand({
  words: ["keys", "revoke"],
  summary: "Revoke an ingest key; ingest rejects it once its key cache expires.",
  options: {
    log: { type: "string", required: true, value: "ID", description: "log id" },
    key: {
      type: "string",
      required: true,
      value: "KEYID",
      description: "key id (see `faultline keys list`)",
    },
  },
  async run(ctx, o) {
    await revokeIngestKey(ctx.db(), o.log, o.key);
    ctx.line(`revoked ingest key ${o.key}`);
  },
});

import { FaultlineError } from "@faultline/core";
import { burstSummary, type Db, getLog, type Log, updateLogSettings } from "@faultline/db";
import { intFlag, UsageError } from "../args";
import { defineCommand } from "../command";

async function requireLog(db: Db, logId: string): Promise<Log> {
  const log = await getLog(db, logId);
  if (!log) throw new FaultlineError("NOT_FOUND", `no log with the id ${logId}`);
  return log;
}

const MAX_BURST_LIMIT = 10_000_000;
const MAX_RETENTION_DAYS = 3650;

const limitText = (limit: number | null) => (limit === null ? "no limit" : `${limit}/min`);

export const logsUpdate = defineCommand({
  words: ["logs", "update"],
  summary: "Change a log's name, retention or burst limit; flags left out stay as they are.",
  options: {
    log: { type: "string", required: true, value: "ID", description: "log id" },
    name: { type: "string", value: "NAME", description: "new name (unique in the organization)" },
    "retention-days": { type: "string", value: "N", description: "days messages are kept (1 to 3650)" },
    "burst-limit": {
      type: "string",
      value: "N|none",
      description: "messages per minute before burst protection samples (ingest applies it within ~10 s)",
    },
    json: { type: "boolean", description: "print the updated log as JSON" },
  },
  async run(ctx, o, usage) {
    const patch: { name?: string; retentionDays?: number; burstLimitPerMinute?: number | null } = {};
    if (o.name !== undefined) patch.name = o.name;
    if (o["retention-days"] !== undefined) {
      patch.retentionDays = intFlag("retention-days", o["retention-days"], 1, MAX_RETENTION_DAYS, usage);
    }
    if (o["burst-limit"] !== undefined) {
      patch.burstLimitPerMinute =
        o["burst-limit"].trim().toLowerCase() === "none"
          ? null
          : intFlag("burst-limit", o["burst-limit"], 1, MAX_BURST_LIMIT, usage);
    }
    if (Object.keys(patch).length === 0) {
      throw new UsageError("nothing to change: give --name, --retention-days or --burst-limit", usage);
    }
    const db = ctx.db();
    await requireLog(db, o.log);
    const log = await updateLogSettings(db, o.log, patch);
    if (o.json) return ctx.json(log);
    ctx.line(
      `updated log "${log.name}": retention ${log.retentionDays} days, burst limit ${limitText(log.burstLimitPerMinute)}`,
    );
  },
});

const HOUR_MS = 60 * 60 * 1000;

function instantFlag(name: string, value: string, usage: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--${name} must be a date and time such as 2026-11-21T10:00Z (got "${value}")`,
      usage,
    );
  }
  return date;
}

const hhmm = (iso: string) => iso.slice(11, 16);

export const logsBurst = defineCommand({
  words: ["logs", "burst"],
  summary: "Show what burst protection kept and dropped for a log (default: the last hour).",
  options: {
    log: { type: "string", required: true, value: "ID", description: "log id" },
    from: { type: "string", value: "TIME", description: "start, ISO 8601 (default: an hour before --to)" },
    to: { type: "string", value: "TIME", description: "end, ISO 8601 (default: now)" },
    json: {
      type: "boolean",
      description: "print {logId, limit, from, to, kept, dropped, received, …, perMinute, topFingerprints}",
    },
  },
  async run(ctx, o, usage) {
    const to = o.to === undefined ? new Date() : instantFlag("to", o.to, usage);
    const from = o.from === undefined ? new Date(to.getTime() - HOUR_MS) : instantFlag("from", o.from, usage);
    const db = ctx.db();
    const log = await requireLog(db, o.log);
    const summary = await burstSummary(db, log.id, { from, to });
    if (o.json) {
      return ctx.json({
        logId: log.id,
        limit: log.burstLimitPerMinute,
        from: from.toISOString(),
        to: to.toISOString(),
        ...summary,
      });
    }
    ctx.line(`burst protection for log "${log.name}" (limit ${limitText(log.burstLimitPerMinute)})`);
    if (summary.dropped === 0) {
      ctx.line(`no messages dropped between ${from.toISOString()} and ${to.toISOString()}`);
      return;
    }
    const last = new Date(Date.parse(summary.lastMinute!) + 60_000).toISOString();
    ctx.line(
      `kept ${summary.kept.toLocaleString("en-US")} of ${summary.received.toLocaleString("en-US")} messages ` +
        `between ${hhmm(summary.firstMinute!)} and ${hhmm(last)} UTC (${summary.dropped.toLocaleString("en-US")} dropped)`,
    );
    ctx.line();
    ctx.table(
      ["MINUTE (UTC)", "KEPT", "DROPPED"],
      summary.perMinute.map((m) => [
        m.minute.slice(0, 16).replace("T", " "),
        String(m.kept),
        String(m.dropped),
      ]),
    );
    ctx.line();
    ctx.table(
      ["FINGERPRINT", "KEPT", "DROPPED"],
      summary.topFingerprints.map((f) => [f.fingerprint, String(f.kept), String(f.dropped)]),
    );
  },
});

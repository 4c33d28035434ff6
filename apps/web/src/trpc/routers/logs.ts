import { messagesEndpoint, sentryDsn } from "@faultline/core";
import {
  createIngestKey,
  createLog,
  listIngestKeys,
  listLogs,
  requireOrganizationMember,
  revokeIngestKey,
  updateLogSettings,
} from "@faultline/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { isAdminRole, logAdminProcedure, logProcedure, organizationProcedure } from "../init";
import { burstSummaryProcedure } from "./burst";

/** Stands in for the key in DSNs shown after the key itself is gone (only its hash is stored). */
export const DSN_KEY_PLACEHOLDER = "YOUR_INGEST_KEY";

const logName = z.string().trim().min(1, "Enter a name").max(100);
const retentionDays = z.number().int().min(1).max(3650);
const burstLimitPerMinute = z.number().int().min(1).max(1_000_000).nullable();

/** What a client needs to send messages with one key. */
function connection(publicIngestUrl: string, log: { id: string; projectId: number }, key: string) {
  return {
    dsn: sentryDsn(publicIngestUrl, key, log.projectId),
    endpoint: messagesEndpoint(publicIngestUrl, log.id),
  };
}

export const logsRouter = {
  list: organizationProcedure.query(({ ctx }) => listLogs(ctx.db, ctx.organization.id)),

  /** Creates the log and its first ingest key; the key is in the answer and nowhere else. */
  create: organizationProcedure
    .input(
      z.object({
        name: logName,
        retentionDays: retentionDays.optional(),
        burstLimitPerMinute: burstLimitPerMinute.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!isAdminRole(ctx.role)) {
        throw new TRPCError({ code: "FORBIDDEN", message: "Only owners and admins can create logs." });
      }
      const log = await createLog(ctx.db, {
        organizationId: ctx.organization.id,
        name: input.name,
        retentionDays: input.retentionDays,
        burstLimitPerMinute: input.burstLimitPerMinute ?? undefined,
      });
      const { key, secret } = await createIngestKey(ctx.db, log.id, "Default key");
      return { log, ingestKey: secret, key, ...connection(ctx.publicIngestUrl, log, secret) };
    }),

  get: logProcedure.query(async ({ ctx }) => {
    const { organization } = await requireOrganizationMember(ctx.db, ctx.log.organizationId, ctx.user.id);
    return {
      log: ctx.log,
      role: ctx.role,
      canManage: isAdminRole(ctx.role),
      organization: { id: organization.id, name: organization.name },
      endpoint: messagesEndpoint(ctx.publicIngestUrl, ctx.log.id),
      dsnTemplate: sentryDsn(ctx.publicIngestUrl, DSN_KEY_PLACEHOLDER, ctx.log.projectId),
      dsnKeyPlaceholder: DSN_KEY_PLACEHOLDER,
      messageCount: await ctx.search.count(ctx.log.id),
    };
  }),

  /** What burst protection kept and dropped (see burst.ts). */
  burstSummary: burstSummaryProcedure,

  /** Keys by prefix: the keys themselves were shown once, at creation. */
  keys: logProcedure.query(({ ctx }) => listIngestKeys(ctx.db, ctx.log.id)),

  createKey: logAdminProcedure
    .input(z.object({ name: z.string().trim().min(1).max(100).optional() }))
    .mutation(async ({ ctx, input }) => {
      const { key, secret } = await createIngestKey(ctx.db, ctx.log.id, input.name);
      return { key, secret, ...connection(ctx.publicIngestUrl, ctx.log, secret) };
    }),

  revokeKey: logAdminProcedure
    .input(z.object({ keyId: z.string().min(1).max(100) }))
    .mutation(({ ctx, input }) => revokeIngestKey(ctx.db, ctx.log.id, input.keyId)),

  updateSettings: logAdminProcedure
    .input(
      z.object({
        name: logName.optional(),
        retentionDays: retentionDays.optional(),
        burstLimitPerMinute: burstLimitPerMinute.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      updateLogSettings(ctx.db, ctx.log.id, {
        name: input.name,
        retentionDays: input.retentionDays,
        burstLimitPerMinute: input.burstLimitPerMinute,
      }),
    ),
};

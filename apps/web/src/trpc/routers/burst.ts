import { burstSummary } from "@faultline/db";
import { z } from "zod";
import { logProcedure } from "../init";

const HOUR_MS = 60 * 60 * 1000;

/**
 * `logs.burstSummary`: what burst protection kept and dropped for the log in [from, to) (default
 * the last hour), per minute and for the fingerprints that dropped most, each with the title of
 * one stored message so the page can say which error flooded. Members may read it.
 */
export const burstSummaryProcedure = logProcedure
  .input(z.object({ from: z.date().optional(), to: z.date().optional() }))
  .query(async ({ ctx, input }) => {
    const to = input.to ?? new Date();
    const from = input.from ?? new Date(to.getTime() - HOUR_MS);
    const summary = await burstSummary(ctx.db, ctx.log.id, { from, to });
    const topFingerprints = await Promise.all(
      summary.topFingerprints.map(async (f) => {
        // Kept messages of the fingerprint are searchable; a fingerprint whose every message
        // was dropped (or the shared "(other)" bucket) has none to name it by.
        const page =
          f.kept > 0
            ? await ctx.search.search({
                logId: ctx.log.id,
                filters: { fingerprint: f.fingerprint },
                limit: 1,
              })
            : { items: [] };
        return { ...f, title: page.items[0]?.title ?? null };
      }),
    );
    return {
      limit: ctx.log.burstLimitPerMinute,
      from: from.toISOString(),
      to: to.toISOString(),
      ...summary,
      topFingerprints,
    };
  });

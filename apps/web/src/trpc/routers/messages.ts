import { FaultlineError, severitySchema } from "@faultline/core";
import { InvalidCursorError, parseSearchText } from "@faultline/search";
import { z } from "zod";
import { logProcedure } from "../init";

export const searchMessagesInput = z.object({
  /** What the user typed: free words plus `field:value` filters, e.g. `type:TimeoutError checkout`. */
  query: z.string().max(1000).optional(),
  severities: z.array(severitySchema).max(6).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
  cursor: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(200).optional(),
});

export const messagesRouter = {
  /** Newest first. Severities typed in the box and picked as chips are combined (either matches). */
  search: logProcedure.input(searchMessagesInput).query(async ({ ctx, input }) => {
    const parsed = parseSearchText(input.query ?? "");
    const severities = [...new Set([...(input.severities ?? []), ...parsed.severities])];
    try {
      return await ctx.search.search({
        logId: ctx.log.id,
        text: parsed.text || undefined,
        severities: severities.length > 0 ? severities : undefined,
        filters: parsed.filters,
        from: input.from,
        to: input.to,
        cursor: input.cursor,
        limit: input.limit,
      });
    } catch (error) {
      // Cursors travel in shared URLs, where they can be cut short or edited by hand.
      if (error instanceof InvalidCursorError) {
        throw new FaultlineError(
          "BAD_REQUEST",
          "This page link is not valid any more. Start again from the newest messages.",
        );
      }
      throw error;
    }
  }),

  get: logProcedure.input(z.object({ id: z.string().min(1).max(100) })).query(async ({ ctx, input }) => {
    const message = await ctx.search.get(ctx.log.id, input.id);
    if (!message) throw new FaultlineError("NOT_FOUND", "This message does not exist in this log.");
    return message;
  }),
};

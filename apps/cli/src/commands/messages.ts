import { FaultlineError } from "@faultline/core";
import { getLog } from "@faultline/db";
import { InvalidCursorError, MAX_PAGE_SIZE, parseSearchText, type SearchPage } from "@faultline/search";
import { intFlag, UsageError } from "../args";
import { defineCommand } from "../command";

const DEFAULT_LIMIT = 50;

export const messagesSearch = defineCommand({
  words: ["messages", "search"],
  summary: "Search a log's messages, newest first, with the web site's search syntax.",
  options: {
    log: { type: "string", required: true, value: "ID", description: "log id" },
    query: {
      type: "string",
      value: "Q",
      description: 'free text plus filters, e.g. "timeout severity:Error hostname:web-1"',
    },
    limit: {
      type: "string",
      value: "N",
      description: `page size, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_LIMIT})`,
    },
    cursor: { type: "string", value: "CURSOR", description: "the next page, from a previous search" },
    json: { type: "boolean", description: "print {items, nextCursor}" },
  },
  async run(ctx, o, usage) {
    const limit = o.limit === undefined ? DEFAULT_LIMIT : intFlag("limit", o.limit, 1, MAX_PAGE_SIZE, usage);
    // An unknown log would otherwise look like a log without messages.
    if (!(await getLog(ctx.db(), o.log)))
      throw new FaultlineError("NOT_FOUND", `no log with the id ${o.log}`);
    const { text, severities, filters } = parseSearchText(o.query ?? "");
    let page: SearchPage;
    try {
      page = await (await ctx.search()).search({
        logId: o.log,
        text,
        severities,
        filters,
        limit,
        cursor: o.cursor,
      });
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new UsageError(`--cursor is not a cursor from a previous search`, usage);
      throw err;
    }
    if (o.json) return ctx.json({ items: page.items, nextCursor: page.nextCursor });
    if (page.items.length === 0) return ctx.line("no messages found");
    ctx.table(
      ["TIME", "SEVERITY", "TITLE"],
      page.items.map((m) => [m.dateTime, m.severity, m.title.replace(/\s+/g, " ")]),
    );
    if (page.nextCursor) ctx.line(`\nmore: add --cursor ${page.nextCursor}`);
  },
});

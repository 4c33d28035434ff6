import { migrateToLatest, migrationNames } from "@faultline/db/migrate";
import { defineCommand } from "../command";

export const migrate = defineCommand({
  words: ["migrate"],
  summary: "Apply the database migrations not applied yet (safe to run again).",
  options: {},
  async run(ctx) {
    const applied = await migrateToLatest(ctx.db());
    if (applied.length === 0) {
      ctx.line(`database is already up to date (${migrationNames.length} migrations)`);
      return;
    }
    for (const name of applied) ctx.line(`applied ${name}`);
    ctx.line(`database is up to date (${applied.length} applied now)`);
  },
});

import { createOrganization, listLogs, listOrganizationsForUser } from "@faultline/db";
import { z } from "zod";
import { protectedProcedure } from "../init";

export const organizationsRouter = {
  /** The caller's organizations with their role and logs: everything the home page shows. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const organizations = await listOrganizationsForUser(ctx.db, ctx.user.id);
    return Promise.all(organizations.map(async (org) => ({ ...org, logs: await listLogs(ctx.db, org.id) })));
  }),

  /** The caller becomes the new organization's owner. */
  create: protectedProcedure
    .input(z.object({ name: z.string().trim().min(1, "Enter a name").max(100) }))
    .mutation(({ ctx, input }) => createOrganization(ctx.db, { name: input.name, ownerUserId: ctx.user.id })),
};

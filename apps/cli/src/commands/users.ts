import { addMember, createOrganization, createUser, findOrganizationByName } from "@faultline/db";
import { defineCommand } from "../command";

export const usersCreate = defineCommand({
  words: ["users", "create"],
  summary:
    "Create a user. With --org the user joins that organization as a member, or becomes the owner of a new one.",
  options: {
    email: {
      type: "string",
      required: true,
      value: "EMAIL",
      description: "sign-in email (stored lower-case)",
    },
    password: { type: "string", required: true, value: "PASSWORD", description: "at least 8 characters" },
    name: { type: "string", value: "NAME", description: "display name (default: the email's local part)" },
    org: { type: "string", value: "NAME", description: "organization to create or join" },
  },
  async run(ctx, o) {
    const db = ctx.db();
    const user = await createUser(db, { email: o.email, password: o.password, name: o.name });
    ctx.line(`created user ${user.email} (${user.id})`);
    if (o.org === undefined) return;
    const existing = await findOrganizationByName(db, o.org);
    if (existing) {
      await addMember(db, existing.id, user.id, "member");
      ctx.line(`added ${user.email} to organization "${existing.name}" as member`);
    } else {
      const org = await createOrganization(db, { name: o.org, ownerUserId: user.id });
      ctx.line(`created organization "${org.name}" (${org.id}) owned by ${user.email}`);
    }
  },
});

import { FaultlineError } from "@faultline/core";
import { createOrganization, findUserByEmail, listOrganizations } from "@faultline/db";
import { defineCommand } from "../command";

export const orgsCreate = defineCommand({
  words: ["orgs", "create"],
  summary: "Create an organization owned by an existing user.",
  options: {
    name: { type: "string", required: true, value: "NAME", description: "organization name (unique)" },
    owner: { type: "string", required: true, value: "EMAIL", description: "email of the owner" },
  },
  async run(ctx, o) {
    const db = ctx.db();
    const owner = await findUserByEmail(db, o.owner);
    if (!owner) throw new FaultlineError("NOT_FOUND", `no user with the email ${o.owner}`);
    const org = await createOrganization(db, { name: o.name, ownerUserId: owner.id });
    ctx.line(`created organization "${org.name}" (${org.id}) owned by ${owner.email}`);
  },
});

export const orgsList = defineCommand({
  words: ["orgs", "list"],
  summary: "List every organization.",
  options: {
    json: { type: "boolean", description: "print a JSON array" },
  },
  async run(ctx, o) {
    const orgs = await listOrganizations(ctx.db());
    if (o.json) return ctx.json(orgs);
    if (orgs.length === 0)
      return ctx.line("no organizations yet: `faultline orgs create --name NAME --owner EMAIL`");
    ctx.table(
      ["NAME", "ID", "CREATED"],
      orgs.map((org) => [org.name, org.id, org.createdAt]),
    );
  },
});

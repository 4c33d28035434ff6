import { createUser } from "@faultline/db";
import { z } from "zod";
import { publicProcedure } from "../init";

export const signUpInput = z.object({
  email: z.email("Enter a valid email address").max(254),
  password: z.string().min(8, "Use at least 8 characters").max(200),
  name: z.string().trim().max(100).optional(),
});

export const authRouter = {
  /**
   * Creates the account only. Signing in stays with next-auth (the client calls `signIn`
   * next), so there is one way a session cookie is made.
   */
  signUp: publicProcedure.input(signUpInput).mutation(async ({ ctx, input }) => {
    const name = input.name || input.email.split("@")[0] || input.email;
    const user = await createUser(ctx.db, { email: input.email, password: input.password, name });
    return { id: user.id, email: user.email, name: user.name };
  }),
};

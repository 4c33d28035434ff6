import { verifyCredentials } from "@faultline/db";
import { type AuthOptions, getServerSession } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getAuthSecret } from "./config";
import { getServices } from "./services";

/** The signed-in user as the app sees it: next-auth's session user plus our id. */
export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
}

declare module "next-auth" {
  interface Session {
    user: SessionUser;
  }
}

/**
 * Built on first use, like the config, so that `next build` can import the auth route without
 * a secret. Sessions are JWTs: the web tier stays stateless and scales out without a session
 * table; the token carries only the user id, email and name.
 */
let cached: AuthOptions | undefined;

export function getAuthOptions(): AuthOptions {
  cached ??= {
    secret: getAuthSecret(),
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    pages: { signIn: "/sign-in" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        async authorize(credentials) {
          const email = credentials?.email?.trim();
          const password = credentials?.password;
          if (!email || !password) return null;
          const { db } = await getServices();
          const user = await verifyCredentials(db, email, password);
          return user ? { id: user.id, email: user.email, name: user.name } : null;
        },
      }),
    ],
    callbacks: {
      // next-auth puts the user id in `token.sub`; the session only needs to expose it.
      session({ session, token }) {
        if (token.sub) {
          session.user = {
            id: token.sub,
            email: token.email ?? "",
            name: token.name ?? null,
          };
        }
        return session;
      },
    },
  };
  return cached;
}

/** The signed-in user of the current request (server components and route handlers), or null. */
export async function getSessionUser(): Promise<SessionUser | null> {
  const session = await getServerSession(getAuthOptions());
  const user = session?.user;
  return user?.id ? user : null;
}

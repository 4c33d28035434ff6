import NextAuth from "next-auth";
import { getAuthOptions } from "../../../../server/auth";

type RouteContext = { params: Promise<{ nextauth: string[] }> };

/** The options (and so the secret) are read on the first request, not when `next build` imports this. */
function handler(req: Request, context: RouteContext): Promise<Response> {
  return NextAuth(getAuthOptions())(req, context);
}

export { handler as GET, handler as POST };

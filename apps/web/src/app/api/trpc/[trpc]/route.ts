import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getSessionUser } from "../../../../server/auth";
import { getServices } from "../../../../server/services";
import { createTrpcContext } from "../../../../trpc/init";
import { appRouter } from "../../../../trpc/router";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => createTrpcContext(await getServices(), await getSessionUser()),
    onError({ error, path }) {
      // Expected errors (not found, forbidden, bad input) are answers, not incidents.
      if (error.code === "INTERNAL_SERVER_ERROR")
        console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
  });
}

export { handler as GET, handler as POST };

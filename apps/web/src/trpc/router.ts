import { createCallerFactory, router } from "./init";
import { authRouter } from "./routers/auth";
import { logsRouter } from "./routers/logs";
import { messagesRouter } from "./routers/messages";
import { organizationsRouter } from "./routers/organizations";

export const appRouter = router({
  auth: authRouter,
  organizations: organizationsRouter,
  logs: logsRouter,
  messages: messagesRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process, e.g. from tests, with a context built by `createTrpcContext`. */
export const createCaller = createCallerFactory(appRouter);

import { FaultlineError, type FaultlineErrorCode } from "@faultline/core";
import { requireLogMember, requireOrganizationMember } from "@faultline/db";
import { initTRPC, TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import type { SessionUser } from "../server/auth";
import type { Services } from "../server/services";

/**
 * Context of every tRPC call: the per-process services and the signed-in user (null when
 * signed out). The HTTP route builds it from the session cookie; tests build it directly.
 */
export interface TrpcContext extends Services {
  user: SessionUser | null;
}

export function createTrpcContext(services: Services, user: SessionUser | null): TrpcContext {
  return { ...services, user };
}

/** The one place domain error codes become tRPC codes (and so HTTP statuses). */
const TRPC_CODES: Record<FaultlineErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

export function toTrpcError(error: FaultlineError): TRPCError {
  return new TRPCError({ code: TRPC_CODES[error.code], message: error.message, cause: error });
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // Field-level problems travel to the client so forms can show them next to the field.
    const cause = error.cause;
    const issues =
      cause instanceof FaultlineError
        ? cause.issues
        : cause instanceof z.ZodError
          ? cause.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }))
          : [];
    return { ...shape, data: { ...shape.data, issues } };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/**
 * Every procedure starts here. Errors thrown anywhere below (middlewares included) come back
 * through `next()` as a result, wrapped by tRPC with the original as `cause`; domain errors are
 * turned into their tRPC code, anything else stays an internal error.
 */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof FaultlineError) {
    throw toTrpcError(result.error.cause);
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapDomainErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { user: ctx.user } });
});

/**
 * Procedures about one organization: input has `organizationId`, and the caller must belong to
 * it. An organization the caller is not in answers NOT_FOUND, so ids cannot be probed.
 */
export const organizationProcedure = protectedProcedure
  .input(z.object({ organizationId: z.string().min(1).max(100) }))
  .use(async ({ ctx, input, next }) => {
    const { organization, role } = await requireOrganizationMember(ctx.db, input.organizationId, ctx.user.id);
    return next({ ctx: { organization, role } });
  });

/**
 * Procedures about one log: input has `logId`, and the caller must belong to the log's
 * organization. The check runs here, once for every call, so no procedure can forget it.
 */
export const logProcedure = protectedProcedure
  .input(z.object({ logId: z.string().min(1).max(100) }))
  .use(async ({ ctx, input, next }) => {
    const { log, role } = await requireLogMember(ctx.db, input.logId, ctx.user.id);
    return next({ ctx: { log, role } });
  });

/**
 * Changing a log (its settings, its ingest keys) is for the organization's owners and admins;
 * members can search and read.
 */
export const logAdminProcedure = logProcedure.use(({ ctx, next }) => {
  if (!isAdminRole(ctx.role)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "Only owners and admins of this organization can change the log. Ask one of them.",
    });
  }
  return next();
});

export function isAdminRole(role: string): boolean {
  return role === "owner" || role === "admin";
}

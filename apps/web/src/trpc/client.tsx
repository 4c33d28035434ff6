"use client";

import { isServer, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { SessionProvider } from "next-auth/react";
import { type ReactNode, useState } from "react";
import superjson from "superjson";
import type { AppRouter } from "./router";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // Retrying a NOT_FOUND or FORBIDDEN only delays the message the user needs to see.
        retry: (failures, error) => !(isTrpcError(error) && isClientError(error)) && failures < 2,
      },
    },
  });
}

function isClientError(error: TRPCClientError<AppRouter>): boolean {
  const status = error.data?.httpStatus;
  return typeof status === "number" && status >= 400 && status < 500;
}

let browserQueryClient: QueryClient | undefined;

function getQueryClient() {
  // On the server every request gets its own cache; in the browser one lives for the tab.
  if (isServer) return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

export function Providers({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson })],
    }),
  );
  return (
    <SessionProvider refetchOnWindowFocus={false}>
      <QueryClientProvider client={queryClient}>
        <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
          {children}
        </TRPCProvider>
      </QueryClientProvider>
    </SessionProvider>
  );
}

/** `instanceof` alone types the error's data as `any`; this keeps the router's error shape. */
export function isTrpcError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}

/** A sentence for the user out of any error a tRPC call can end with. */
export function errorMessage(error: unknown): string {
  if (isTrpcError(error)) {
    if (error.data?.code === "UNAUTHORIZED") return "Your session has ended. Sign in again to continue.";
    if (error.message.startsWith("Failed to fetch") || error.message.includes("NetworkError")) {
      return "The server did not answer. Check your connection and try again.";
    }
    const issues = error.data?.issues ?? [];
    if (issues.length > 0) return issues.map((issue) => issue.message).join(" ");
    if (error.data?.code === "INTERNAL_SERVER_ERROR") {
      return "Something went wrong on our side. Try again in a moment.";
    }
    return error.message;
  }
  return error instanceof Error ? error.message : "Something went wrong. Try again.";
}

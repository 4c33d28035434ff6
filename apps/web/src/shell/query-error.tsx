"use client";

import { Alert, Button, buttonClasses } from "@faultline/ui";
import Link from "next/link";
import { errorMessage, isTrpcError } from "../trpc/client";

/**
 * What a page shows when its data could not be loaded. NOT_FOUND covers "does not exist" and
 * "not yours" alike (the server does not tell them apart), so the text names both.
 */
export function QueryError({ error, onRetry, what }: { error: unknown; onRetry?: () => void; what: string }) {
  const notFound = isTrpcError(error) && error.data?.code === "NOT_FOUND";
  if (notFound) {
    return (
      <Alert
        title={`This ${what} was not found`}
        action={
          <Link href="/" className={buttonClasses("secondary", "sm")}>
            Go to your logs
          </Link>
        }
      >
        It may have been deleted, or it belongs to an organization you are not a member of. Ask an owner of
        that organization to add you.
      </Alert>
    );
  }
  return (
    <Alert
      title={`Could not load the ${what}`}
      action={
        onRetry && (
          <Button variant="secondary" size="sm" onClick={onRetry}>
            Try again
          </Button>
        )
      }
    >
      {errorMessage(error)}
    </Alert>
  );
}

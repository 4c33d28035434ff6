"use client";

import { Alert, Button, Input } from "@faultline/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useHydrated } from "../shell/hydrated";
import { errorMessage, useTRPC } from "../trpc/client";
import { rememberFreshKey } from "./fresh-keys";

/** Creates a log and opens its setup page, which shows the new ingest key once. */
export function CreateLogForm({
  organizationId,
  autoFocus,
}: {
  organizationId: string;
  autoFocus?: boolean;
}) {
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.logs.create.mutationOptions({
      onSuccess: async (created) => {
        rememberFreshKey(created.log.id, {
          keyId: created.key.id,
          secret: created.ingestKey,
          dsn: created.dsn,
          endpoint: created.endpoint,
        });
        await Promise.all([
          queryClient.invalidateQueries(trpc.organizations.list.queryFilter()),
          queryClient.invalidateQueries(trpc.logs.list.queryFilter({ organizationId })),
        ]);
        router.push(`/logs/${created.log.id}/setup`);
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate({ organizationId, name });
  }

  return (
    <form method="post" onSubmit={onSubmit} className="space-y-3">
      <div className="flex flex-col gap-2 sm:flex-row">
        <label htmlFor={`logName-${organizationId}`} className="sr-only">
          Log name
        </label>
        <Input
          id={`logName-${organizationId}`}
          name="logName"
          placeholder="e.g. checkout-api (production)"
          value={name}
          onChange={(event) => setName(event.target.value)}
          maxLength={100}
          required
          autoFocus={autoFocus}
        />
        <Button type="submit" loading={create.isPending || create.isSuccess} disabled={!hydrated}>
          Create log
        </Button>
      </div>
      {create.error && <Alert>{errorMessage(create.error)}</Alert>}
    </form>
  );
}

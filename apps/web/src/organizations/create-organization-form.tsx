"use client";

import { Alert, Button, Input } from "@faultline/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useHydrated } from "../shell/hydrated";
import { errorMessage, useTRPC } from "../trpc/client";

export function CreateOrganizationForm({ onCreated }: { onCreated?: (organizationId: string) => void }) {
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.organizations.create.mutationOptions({
      onSuccess: async (organization) => {
        setName("");
        await queryClient.invalidateQueries(trpc.organizations.list.queryFilter());
        onCreated?.(organization.id);
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate({ name });
  }

  return (
    <form method="post" onSubmit={onSubmit} className="space-y-3">
      <div className="flex flex-col gap-2 sm:flex-row">
        <label htmlFor="organizationName" className="sr-only">
          Organization name
        </label>
        <Input
          id="organizationName"
          name="organizationName"
          placeholder="Acme Inc."
          value={name}
          onChange={(event) => setName(event.target.value)}
          maxLength={100}
          required
          autoFocus
        />
        <Button type="submit" loading={create.isPending} disabled={!hydrated}>
          Create organization
        </Button>
      </div>
      {create.error && <Alert>{errorMessage(create.error)}</Alert>}
    </form>
  );
}

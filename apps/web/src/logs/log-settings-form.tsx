"use client";

import type { Log } from "@faultline/db";
import { Alert, Button, Card, CardBody, CardHeader, Field, Input } from "@faultline/ui";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { errorMessage, useTRPC } from "../trpc/client";

export function LogSettingsForm({ log }: { log: Log }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState(log.name);
  const [retentionDays, setRetentionDays] = useState(String(log.retentionDays));
  const [burstLimit, setBurstLimit] = useState(
    log.burstLimitPerMinute === null ? "" : String(log.burstLimitPerMinute),
  );
  const update = useMutation(
    trpc.logs.updateSettings.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.logs.get.queryFilter({ logId: log.id })),
          queryClient.invalidateQueries(trpc.organizations.list.queryFilter()),
        ]),
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    update.mutate({
      logId: log.id,
      name,
      retentionDays: Number(retentionDays),
      // Empty means "no limit", which the API spells null.
      burstLimitPerMinute: burstLimit.trim() === "" ? null : Number(burstLimit),
    });
  }

  return (
    <Card>
      <CardHeader title="Log settings" />
      <CardBody>
        <form onSubmit={onSubmit} className="space-y-4">
          <Field label="Name" htmlFor="settings-name">
            <Input
              id="settings-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              maxLength={100}
            />
          </Field>
          <Field
            label="Retention (days)"
            htmlFor="settings-retention"
            hint="How long messages are meant to be kept. Deleting older ones is not automated yet."
          >
            <Input
              id="settings-retention"
              type="number"
              min={1}
              max={3650}
              value={retentionDays}
              onChange={(e) => setRetentionDays(e.target.value)}
              required
            />
          </Field>
          <Field
            label="Burst limit (messages per minute)"
            htmlFor="settings-burst"
            hint="Protects your quota from an error loop. Leave empty for no limit."
          >
            <Input
              id="settings-burst"
              type="number"
              min={1}
              value={burstLimit}
              onChange={(e) => setBurstLimit(e.target.value)}
              placeholder="No limit"
            />
          </Field>
          {update.error && <Alert>{errorMessage(update.error)}</Alert>}
          {update.isSuccess && !update.isPending && <Alert tone="success">Settings saved.</Alert>}
          <Button type="submit" variant="secondary" loading={update.isPending}>
            Save settings
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}

"use client";

import {
  Alert,
  Badge,
  Button,
  buttonClasses,
  Card,
  CardBody,
  CardHeader,
  CodeBlock,
  CopyField,
  IconKey,
  IconPlus,
  Skeleton,
  Spinner,
} from "@faultline/ui";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { formatDate } from "../search/time";
import { QueryError } from "../shell/query-error";
import { errorMessage, useTRPC } from "../trpc/client";
import { type FreshKey, takeFreshKey } from "./fresh-keys";
import { LogSettingsForm } from "./log-settings-form";
import { curlSnippet, dsnForKey, sentryNodeSnippet } from "./snippets";

export function SetupView({ logId }: { logId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fresh, setFresh] = useState<FreshKey | undefined>();

  // The key created on the previous page (a new log), handed over in memory.
  useEffect(() => {
    const handedOver = takeFreshKey(logId);
    if (handedOver) setFresh(handedOver);
  }, [logId]);

  const details = useQuery({
    ...trpc.logs.get.queryOptions({ logId }),
    // Until the first message arrives, keep checking so the page can say "received".
    refetchInterval: (query) => ((query.state.data?.messageCount ?? 0) > 0 ? false : 3000),
  });

  const createKey = useMutation(
    trpc.logs.createKey.mutationOptions({
      onSuccess: async (created) => {
        setFresh({
          keyId: created.key.id,
          secret: created.secret,
          dsn: created.dsn,
          endpoint: created.endpoint,
        });
        await queryClient.invalidateQueries(trpc.logs.keys.queryFilter({ logId }));
      },
    }),
  );

  if (details.isPending) return <SetupSkeleton />;
  if (details.isError)
    return <QueryError error={details.error} what="log" onRetry={() => details.refetch()} />;

  const { endpoint, dsnTemplate, dsnKeyPlaceholder, canManage, messageCount, log } = details.data;
  const key = fresh?.secret;
  const dsn = fresh?.dsn ?? dsnForKey(dsnTemplate, dsnKeyPlaceholder, key);
  const keyForSnippets = key ?? dsnKeyPlaceholder;

  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <div className="space-y-6 lg:col-span-2">
        <Card>
          <CardHeader
            title="1. Your ingest key"
            description="Clients authenticate with it. Treat it like a password: anyone with the key can send messages to this log."
            actions={
              canManage && (
                <Button
                  variant="secondary"
                  size="sm"
                  loading={createKey.isPending}
                  onClick={() => createKey.mutate({ logId })}
                >
                  {!createKey.isPending && <IconPlus className="size-3.5" />}
                  Create new key
                </Button>
              )
            }
          />
          <CardBody className="space-y-3">
            {fresh ? (
              <>
                <Alert tone="success" title="Copy this key now">
                  It is stored hashed, so this is the only time it is shown in full. The snippets below
                  already use it.
                </Alert>
                <CopyField value={fresh.secret} testId="ingest-key" />
              </>
            ) : (
              <p className="text-sm text-slate-600">
                Keys are shown in full only right after they are created. Use a key you saved
                {canManage
                  ? ", or create a new one to fill in the snippets below."
                  : ". An owner or admin can create a new one."}{" "}
                Below,{" "}
                <code className="rounded bg-slate-100 px-1 font-mono text-xs">{dsnKeyPlaceholder}</code>{" "}
                stands for your key.
              </p>
            )}
            {createKey.error && <Alert>{errorMessage(createKey.error)}</Alert>}
          </CardBody>
        </Card>

        <Card>
          <CardHeader
            title="2. Send a test error with curl"
            description="Any elmah.io client works too: messages are accepted in the elmah.io v3 format."
          />
          <CardBody className="space-y-4">
            <div className="space-y-1.5">
              <p className="text-xs font-medium text-slate-500">
                Messages endpoint (POST, key in the api_key header)
              </p>
              <CopyField value={endpoint} testId="messages-endpoint" />
            </div>
            <CodeBlock title="Terminal" code={curlSnippet(endpoint, keyForSnippets)} />
          </CardBody>
        </Card>

        <Card>
          <CardHeader
            title="3. Or report from a Sentry SDK"
            description="Sentry's SDKs for every language can report here: configure them with this DSN."
          />
          <CardBody className="space-y-4">
            <div className="space-y-1.5">
              <p className="text-xs font-medium text-slate-500">DSN</p>
              <CopyField value={dsn} testId="sentry-dsn" />
            </div>
            <CodeBlock title="Node.js — npm install @sentry/node" code={sentryNodeSnippet(dsn)} />
          </CardBody>
        </Card>
      </div>

      <div className="space-y-6">
        <Card>
          <CardHeader title="Status" />
          <CardBody>
            {messageCount > 0 ? (
              <div className="space-y-3">
                <p className="flex items-center gap-2 text-sm font-medium text-emerald-700">
                  <span className="size-2 rounded-full bg-emerald-500" />
                  {messageCount.toLocaleString("en-US")} {messageCount === 1 ? "message" : "messages"}{" "}
                  received
                </p>
                <Link href={`/logs/${logId}`} className={buttonClasses("primary", "sm")}>
                  Search messages
                </Link>
              </div>
            ) : (
              <div className="flex items-start gap-2.5 text-sm text-slate-600">
                <Spinner className="mt-0.5 text-indigo-500" />
                <p>Waiting for the first message… Run the curl command; this turns green when it arrives.</p>
              </div>
            )}
          </CardBody>
        </Card>

        <KeysCard
          logId={logId}
          canManage={canManage}
          freshKeyId={fresh?.keyId}
          onRevoked={(keyId) => {
            if (fresh?.keyId === keyId) setFresh(undefined);
          }}
        />

        {canManage && <LogSettingsForm log={log} />}
      </div>
    </div>
  );
}

function KeysCard({
  logId,
  canManage,
  freshKeyId,
  onRevoked,
}: {
  logId: string;
  canManage: boolean;
  freshKeyId?: string;
  onRevoked: (keyId: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.logs.keys.queryOptions({ logId }));
  const [confirming, setConfirming] = useState<string | null>(null);
  const revoke = useMutation(
    trpc.logs.revokeKey.mutationOptions({
      onSuccess: async (_result, variables) => {
        setConfirming(null);
        onRevoked(variables.keyId);
        await queryClient.invalidateQueries(trpc.logs.keys.queryFilter({ logId }));
      },
    }),
  );

  return (
    <Card>
      <CardHeader title="Ingest keys" description="Revoked keys stop working within a minute." />
      {keys.isPending ? (
        <CardBody className="space-y-2">
          <Skeleton className="h-8 w-full" />
          <Skeleton className="h-8 w-full" />
        </CardBody>
      ) : keys.isError ? (
        <CardBody>
          <QueryError error={keys.error} what="keys" onRetry={() => keys.refetch()} />
        </CardBody>
      ) : keys.data.length === 0 ? (
        <CardBody className="text-sm text-slate-500">No keys yet.</CardBody>
      ) : (
        <ul className="divide-y divide-slate-100">
          {keys.data.map((key) => (
            <li key={key.id} className="flex items-center gap-3 px-5 py-3">
              <IconKey className="size-4 shrink-0 text-slate-400" />
              <div className="min-w-0 flex-1">
                <p className="flex items-center gap-2 text-sm font-medium text-slate-800">
                  <span className="truncate">{key.name}</span>
                  {key.revokedAt ? (
                    <Badge tone="slate">Revoked</Badge>
                  ) : key.id === freshKeyId ? (
                    <Badge tone="indigo">New</Badge>
                  ) : (
                    <Badge tone="green">Active</Badge>
                  )}
                </p>
                <p className="font-mono text-xs text-slate-500">
                  {key.prefix}… · created {formatDate(key.createdAt)}
                </p>
              </div>
              {canManage &&
                !key.revokedAt &&
                (confirming === key.id ? (
                  <div className="flex gap-1">
                    <Button
                      variant="danger"
                      size="sm"
                      loading={revoke.isPending}
                      onClick={() => revoke.mutate({ logId, keyId: key.id })}
                    >
                      Revoke
                    </Button>
                    <Button variant="ghost" size="sm" onClick={() => setConfirming(null)}>
                      Keep
                    </Button>
                  </div>
                ) : (
                  <Button variant="ghost" size="sm" onClick={() => setConfirming(key.id)}>
                    Revoke…
                  </Button>
                ))}
            </li>
          ))}
        </ul>
      )}
      {revoke.error && (
        <CardBody>
          <Alert>{errorMessage(revoke.error)}</Alert>
        </CardBody>
      )}
    </Card>
  );
}

function SetupSkeleton() {
  return (
    <div className="grid gap-6 lg:grid-cols-3" role="status" aria-label="Loading">
      <div className="space-y-6 lg:col-span-2">
        {[0, 1, 2].map((i) => (
          <Card key={i}>
            <CardBody className="space-y-3">
              <Skeleton className="h-4 w-40" />
              <Skeleton className="h-9 w-full" />
              <Skeleton className="h-24 w-full" />
            </CardBody>
          </Card>
        ))}
      </div>
      <Card>
        <CardBody className="space-y-3">
          <Skeleton className="h-4 w-24" />
          <Skeleton className="h-8 w-full" />
        </CardBody>
      </Card>
    </div>
  );
}

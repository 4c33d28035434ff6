"use client";

import { Badge, Card, CardBody, CardHeader, EmptyState, IconInbox, Skeleton } from "@faultline/ui";
import { useQuery } from "@tanstack/react-query";
import { CreateLogForm } from "../logs/create-log-form";
import { LogsTable } from "../logs/logs-table";
import { PageHeader } from "../shell/page-header";
import { QueryError } from "../shell/query-error";
import { useTRPC } from "../trpc/client";

export function OrganizationView({ organizationId }: { organizationId: string }) {
  const trpc = useTRPC();
  const logs = useQuery(trpc.logs.list.queryOptions({ organizationId }));
  const organizations = useQuery(trpc.organizations.list.queryOptions());
  const organization = organizations.data?.find((o) => o.id === organizationId);
  const canManage = organization?.role === "owner" || organization?.role === "admin";

  if (logs.isError)
    return <QueryError error={logs.error} what="organization" onRetry={() => logs.refetch()} />;

  return (
    <div className="space-y-6">
      <PageHeader
        crumbs={[{ label: "Organizations", href: "/" }]}
        title={
          organization ? (
            <span className="flex items-center gap-2">
              {organization.name}
              <Badge className="capitalize">{organization.role}</Badge>
            </span>
          ) : (
            <Skeleton className="h-7 w-48" />
          )
        }
        description="The logs of this organization. Each one has its own ingest keys and search."
      />

      {canManage && (
        <Card>
          <CardHeader
            title="New log"
            description="One log per application and environment keeps searches focused."
          />
          <CardBody>
            <CreateLogForm organizationId={organizationId} />
          </CardBody>
        </Card>
      )}

      <Card className="overflow-hidden">
        <CardHeader title="Logs" />
        {logs.isPending ? (
          <CardBody className="space-y-2">
            <Skeleton className="h-9 w-full" />
            <Skeleton className="h-9 w-full" />
          </CardBody>
        ) : logs.data.length === 0 ? (
          <EmptyState
            icon={<IconInbox className="size-5" />}
            title="No logs yet"
            description={
              canManage
                ? "Create the first one above; you get an ingest key and snippets to send errors right away."
                : "An owner or admin of this organization can create one."
            }
          />
        ) : (
          <LogsTable logs={logs.data} />
        )}
      </Card>
    </div>
  );
}

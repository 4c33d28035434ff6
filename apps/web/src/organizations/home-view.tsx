"use client";

import {
  Badge,
  Button,
  buttonClasses,
  Card,
  CardBody,
  CardHeader,
  IconBuilding,
  IconPlus,
  Skeleton,
} from "@faultline/ui";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { CreateLogForm } from "../logs/create-log-form";
import { LogsTable } from "../logs/logs-table";
import { PageHeader } from "../shell/page-header";
import { QueryError } from "../shell/query-error";
import { useTRPC } from "../trpc/client";
import { CreateOrganizationForm } from "./create-organization-form";
import { Onboarding } from "./onboarding";

export function HomeView() {
  const trpc = useTRPC();
  const organizations = useQuery(trpc.organizations.list.queryOptions());
  const [creatingOrganization, setCreatingOrganization] = useState(false);

  if (organizations.isPending) return <HomeSkeleton />;
  if (organizations.isError) {
    return (
      <QueryError error={organizations.error} what="organizations" onRetry={() => organizations.refetch()} />
    );
  }
  const [only] = organizations.data;
  if (!only) return <Onboarding />;
  // A brand-new account: keep walking through the steps instead of showing an empty dashboard.
  if (organizations.data.length === 1 && only.logs.length === 0 && only.role === "owner") {
    return <Onboarding organization={only} />;
  }

  return (
    <div>
      <PageHeader
        title="Your logs"
        description="Every log collects the errors of one application or environment."
        actions={
          !creatingOrganization && (
            <Button variant="secondary" onClick={() => setCreatingOrganization(true)}>
              <IconPlus className="size-4" />
              New organization
            </Button>
          )
        }
      />
      {creatingOrganization && (
        <Card className="mb-6">
          <CardHeader
            title="New organization"
            description="Organizations group logs and the people who can see them."
            actions={
              <Button variant="ghost" size="sm" onClick={() => setCreatingOrganization(false)}>
                Cancel
              </Button>
            }
          />
          <CardBody>
            <CreateOrganizationForm onCreated={() => setCreatingOrganization(false)} />
          </CardBody>
        </Card>
      )}
      <div className="space-y-6">
        {organizations.data.map((org) => {
          const canManage = org.role === "owner" || org.role === "admin";
          return (
            <Card key={org.id}>
              <CardHeader
                title={
                  <span className="flex items-center gap-2">
                    <IconBuilding className="size-4 text-slate-400" />
                    {org.name}
                    <Badge tone="slate" className="capitalize">
                      {org.role}
                    </Badge>
                  </span>
                }
                description={`${org.logs.length} ${org.logs.length === 1 ? "log" : "logs"}`}
                actions={
                  <Link href={`/orgs/${org.id}`} className={buttonClasses("secondary", "sm")}>
                    Open organization
                  </Link>
                }
              />
              {org.logs.length > 0 ? (
                <LogsTable logs={org.logs} />
              ) : canManage ? (
                <CardBody className="space-y-3">
                  <div>
                    <h3 className="text-sm font-semibold text-slate-900">Create your first log</h3>
                    <p className="mt-0.5 text-sm text-slate-500">
                      Name it after the application (and environment) that will send errors to it.
                    </p>
                  </div>
                  <CreateLogForm organizationId={org.id} autoFocus />
                </CardBody>
              ) : (
                <CardBody className="text-sm text-slate-500">
                  This organization has no logs yet. An owner or admin can create one.
                </CardBody>
              )}
            </Card>
          );
        })}
      </div>
    </div>
  );
}

function HomeSkeleton() {
  return (
    <div role="status" aria-label="Loading your logs">
      <Skeleton className="mb-2 h-6 w-40" />
      <Skeleton className="mb-8 h-4 w-80" />
      <div className="space-y-6">
        {[0, 1].map((i) => (
          <Card key={i}>
            <CardBody className="space-y-3">
              <Skeleton className="h-4 w-48" />
              <Skeleton className="h-9 w-full" />
              <Skeleton className="h-9 w-full" />
            </CardBody>
          </Card>
        ))}
      </div>
    </div>
  );
}

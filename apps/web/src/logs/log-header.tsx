"use client";

import { cx, Skeleton } from "@faultline/ui";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { PageHeader } from "../shell/page-header";
import { QueryError } from "../shell/query-error";
import { useTRPC } from "../trpc/client";

/**
 * Name, organization and tabs of a log above its search, setup and message pages. When the log
 * cannot be shown (unknown, or not the caller's), only that is said: the page below would just
 * repeat the same error.
 */
export function LogFrame({ logId, children }: { logId: string; children: ReactNode }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const details = useQuery(trpc.logs.get.queryOptions({ logId }));

  if (details.isPending) {
    // The page below starts loading its own data meanwhile.
    return (
      <>
        <div className="mb-6 space-y-2">
          <Skeleton className="h-3 w-32" />
          <Skeleton className="h-6 w-56" />
        </div>
        {children}
      </>
    );
  }
  if (details.isError)
    return <QueryError error={details.error} what="log" onRetry={() => details.refetch()} />;

  const { log, organization } = details.data;
  const onSetup = pathname.endsWith("/setup");
  const onBurst = pathname.endsWith("/burst");
  const tabs = [
    { href: `/logs/${logId}`, label: "Search", active: !onSetup && !onBurst },
    { href: `/logs/${logId}/burst`, label: "Burst protection", active: onBurst },
    { href: `/logs/${logId}/setup`, label: "Setup & keys", active: onSetup },
  ];
  return (
    <>
      <div className="mb-6 border-b border-slate-200">
        <PageHeader
          title={log.name}
          crumbs={[
            { label: organization.name, href: `/orgs/${organization.id}` },
            { label: "Logs", href: `/orgs/${organization.id}` },
          ]}
          description={
            <span className="font-mono text-xs">
              {log.id} · project {log.projectId}
            </span>
          }
        />
        <nav className="-mb-px flex gap-6" aria-label="Log pages">
          {tabs.map((tab) => (
            <Link
              key={tab.href}
              href={tab.href}
              aria-current={tab.active ? "page" : undefined}
              className={cx(
                "border-b-2 pb-2.5 text-sm font-medium",
                tab.active
                  ? "border-indigo-600 text-indigo-700"
                  : "border-transparent text-slate-500 hover:border-slate-300 hover:text-slate-800",
              )}
            >
              {tab.label}
            </Link>
          ))}
        </nav>
      </div>
      {children}
    </>
  );
}

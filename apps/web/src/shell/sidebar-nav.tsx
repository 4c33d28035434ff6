"use client";

import { cx, IconBuilding, IconList, Skeleton } from "@faultline/ui";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useTRPC } from "../trpc/client";

export function SidebarNav() {
  const trpc = useTRPC();
  const pathname = usePathname();
  const organizations = useQuery(trpc.organizations.list.queryOptions());

  return (
    <nav className="flex-1 space-y-6 overflow-y-auto px-3 py-5" aria-label="Organizations and logs">
      <Link
        href="/"
        className={cx(
          "flex items-center gap-2 rounded-md px-2 py-1.5 text-sm font-medium",
          pathname === "/"
            ? "bg-slate-100 text-slate-900"
            : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
        )}
      >
        <IconList className="size-4" />
        All logs
      </Link>
      {organizations.isPending && (
        <div className="space-y-2 px-2">
          <Skeleton className="h-3 w-24" />
          <Skeleton className="h-6 w-full" />
          <Skeleton className="h-6 w-5/6" />
        </div>
      )}
      {organizations.data?.map((org) => (
        <div key={org.id}>
          <Link
            href={`/orgs/${org.id}`}
            className={cx(
              "flex items-center gap-2 rounded-md px-2 py-1 text-xs font-semibold tracking-wide uppercase",
              pathname === `/orgs/${org.id}` ? "text-indigo-700" : "text-slate-400 hover:text-slate-700",
            )}
          >
            <IconBuilding className="size-3.5" />
            <span className="truncate">{org.name}</span>
          </Link>
          <ul className="mt-1 space-y-0.5">
            {org.logs.map((log) => {
              const active = pathname === `/logs/${log.id}` || pathname.startsWith(`/logs/${log.id}/`);
              return (
                <li key={log.id}>
                  <Link
                    href={`/logs/${log.id}`}
                    className={cx(
                      "flex items-center gap-2 rounded-md px-2 py-1.5 text-sm",
                      active
                        ? "bg-indigo-50 font-medium text-indigo-700"
                        : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
                    )}
                  >
                    <span
                      aria-hidden="true"
                      className={cx("size-1.5 rounded-full", active ? "bg-indigo-500" : "bg-slate-300")}
                    />
                    <span className="truncate">{log.name}</span>
                  </Link>
                </li>
              );
            })}
            {org.logs.length === 0 && <li className="px-2 py-1 text-xs text-slate-400">No logs yet</li>}
          </ul>
        </div>
      ))}
    </nav>
  );
}

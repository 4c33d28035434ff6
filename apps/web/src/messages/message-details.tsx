"use client";

import type { CanonicalMessage, KeyValue } from "@faultline/core";
import {
  Card,
  CardBody,
  CardHeader,
  CopyButton,
  cx,
  IconArrowLeft,
  SeverityBadge,
  Skeleton,
} from "@faultline/ui";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { type ReactNode, useState } from "react";
import { useNow } from "../search/clock";
import { formatDateTime, formatRelative } from "../search/time";
import { QueryError } from "../shell/query-error";
import { useTRPC } from "../trpc/client";
import { Breadcrumbs } from "./breadcrumbs";
import { KeyValueTable } from "./key-value-table";
import { StackTrace } from "./stack-trace";

export function MessageDetails({ logId, messageId }: { logId: string; messageId: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const now = useNow(30_000);
  // The search the user came from, so "Back" restores it instead of starting over.
  const back = params.get("back");
  const backHref = back ? `/logs/${logId}?${back}` : `/logs/${logId}`;
  const message = useQuery({
    ...trpc.messages.get.queryOptions({ logId, id: messageId }),
    staleTime: Infinity,
  });

  return (
    <div className="space-y-6">
      <Link
        href={backHref}
        className="inline-flex items-center gap-1.5 text-sm font-medium text-slate-600 hover:text-slate-900"
      >
        <IconArrowLeft className="size-4" />
        Back to search
      </Link>
      {message.isPending ? (
        <DetailsSkeleton />
      ) : message.isError ? (
        <QueryError error={message.error} what="message" onRetry={() => message.refetch()} />
      ) : (
        <Details message={message.data} now={now} />
      )}
    </div>
  );
}

function Details({ message, now }: { message: CanonicalMessage; now: number }) {
  const exceptions = (message.exceptions ?? []).filter((e) => e.type || e.value || e.frames.length > 0);
  const hasTrace = exceptions.length > 0 || Boolean(message.detail);
  return (
    <>
      <Card>
        <CardBody className="space-y-3 px-6 py-5">
          <div className="flex flex-wrap items-center gap-2 text-sm text-slate-500">
            <SeverityBadge severity={message.severity} />
            <time dateTime={message.dateTime} title={formatDateTime(message.dateTime)}>
              {formatDateTime(message.dateTime)} · {formatRelative(message.dateTime, now)}
            </time>
          </div>
          <h1 data-testid="message-title" className="text-lg font-semibold break-words text-slate-900">
            {message.title}
          </h1>
          <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-slate-600">
            {message.type && <span className="font-mono text-xs text-red-700">{message.type}</span>}
            {message.statusCode !== undefined && <span>HTTP {message.statusCode}</span>}
            {(message.method || message.url) && (
              <span className="font-mono text-xs break-all">
                {[message.method, message.url].filter(Boolean).join(" ")}
              </span>
            )}
            {message.hostname && <span>on {message.hostname}</span>}
          </div>
          <div className="flex flex-wrap items-center gap-2 pt-1">
            <code className="rounded bg-slate-100 px-2 py-1 font-mono text-xs text-slate-600">
              {message.id}
            </code>
            <CopyButton text={message.id} label="Copy id" />
          </div>
        </CardBody>
      </Card>

      <div className="grid gap-6 xl:grid-cols-3">
        <div className="min-w-0 space-y-6 xl:col-span-2">
          {hasTrace && (
            <Card>
              <CardHeader title={exceptions.length > 0 ? "Stack trace" : "Detail"} />
              <div data-testid="stack-trace">
                {exceptions.length > 0 ? (
                  <StackTrace exceptions={exceptions} />
                ) : (
                  <pre className="overflow-x-auto px-5 py-4 font-mono text-xs leading-relaxed whitespace-pre text-slate-800">
                    {message.detail}
                  </pre>
                )}
              </div>
              {exceptions.length > 0 && message.detail && (
                <details className="border-t border-slate-100 px-5 py-3">
                  <summary className="cursor-pointer text-xs font-medium text-slate-500">
                    Detail as sent
                  </summary>
                  <pre className="mt-2 overflow-x-auto font-mono text-xs leading-relaxed text-slate-700">
                    {message.detail}
                  </pre>
                </details>
              )}
            </Card>
          )}

          <KeyValueSections message={message} />

          {message.breadcrumbs.length > 0 && (
            <Card>
              <CardHeader title="Breadcrumbs" description="What happened before the error, oldest first." />
              <Breadcrumbs items={message.breadcrumbs} />
            </Card>
          )}

          {message.raw && (
            <Card>
              <details>
                <summary className="cursor-pointer px-5 py-3 text-sm font-semibold text-slate-900">
                  Raw payload <span className="font-normal text-slate-500">({message.format})</span>
                </summary>
                <pre className="max-h-[32rem] overflow-auto border-t border-slate-100 bg-slate-50 px-5 py-4 font-mono text-xs text-slate-700">
                  {prettyJson(message.raw)}
                </pre>
              </details>
            </Card>
          )}
        </div>

        <Card className="h-fit">
          <CardHeader title="Fields" />
          <dl className="divide-y divide-slate-100 text-sm">
            {fieldRows(message).map(([label, value]) => (
              <div key={label} className="grid grid-cols-3 gap-3 px-5 py-2">
                <dt className="text-xs font-medium text-slate-500">{label}</dt>
                <dd className="col-span-2 font-mono text-xs break-all text-slate-800">{value}</dd>
              </div>
            ))}
          </dl>
        </Card>
      </div>
    </>
  );
}

/** Every scalar field of the message, in reading order, leaving out the ones not sent. */
function fieldRows(message: CanonicalMessage): [string, ReactNode][] {
  const rows: [string, string | number | undefined][] = [
    ["Id", message.id],
    ["Time", message.dateTime],
    ["Received", message.receivedAt],
    ["Severity", message.severity],
    ["Type", message.type],
    ["Source", message.source],
    ["Title template", message.titleTemplate],
    ["Status code", message.statusCode],
    ["Method", message.method],
    ["URL", message.url],
    ["Hostname", message.hostname],
    ["User", message.user],
    ["Application", message.application],
    ["Version", message.version],
    ["Correlation id", message.correlationId],
    ["Category", message.category],
    ["Code", message.code],
    ["Fingerprint", message.fingerprint],
    ["Format", message.format],
    ["Log", message.logId],
  ];
  return rows.filter((row): row is [string, string | number] => row[1] !== undefined && row[1] !== "");
}

const LISTS = [
  { id: "serverVariables", label: "Server variables" },
  { id: "queryString", label: "Query string" },
  { id: "form", label: "Form" },
  { id: "cookies", label: "Cookies" },
  { id: "data", label: "Data" },
] as const satisfies readonly { id: keyof CanonicalMessage; label: string }[];

type ListId = (typeof LISTS)[number]["id"];

/** The key/value lists as tabs; the first one with content is open. */
function KeyValueSections({ message }: { message: CanonicalMessage }) {
  const lists: Record<ListId, KeyValue[]> = {
    serverVariables: message.serverVariables,
    queryString: message.queryString,
    form: message.form,
    cookies: message.cookies,
    data: message.data,
  };
  const firstWithContent = LISTS.find((l) => lists[l.id].length > 0)?.id ?? "serverVariables";
  const [open, setOpen] = useState<ListId>(firstWithContent);
  return (
    <Card>
      <div className="flex gap-1 overflow-x-auto border-b border-slate-100 px-3 pt-2" role="tablist">
        {LISTS.map((list) => {
          const count = lists[list.id].length;
          return (
            <button
              key={list.id}
              type="button"
              role="tab"
              aria-selected={open === list.id}
              onClick={() => setOpen(list.id)}
              className={cx(
                "-mb-px flex items-center gap-1.5 border-b-2 px-2.5 pb-2 text-sm font-medium whitespace-nowrap",
                open === list.id
                  ? "border-indigo-600 text-indigo-700"
                  : "border-transparent text-slate-500 hover:text-slate-800",
              )}
            >
              {list.label}
              <span
                className={cx(
                  "rounded-full px-1.5 text-[11px]",
                  count > 0 ? "bg-slate-100 text-slate-600" : "text-slate-300",
                )}
              >
                {count}
              </span>
            </button>
          );
        })}
      </div>
      <div role="tabpanel">
        <KeyValueTable
          items={lists[open]}
          emptyText={`No ${LISTS.find((l) => l.id === open)?.label.toLowerCase()} were sent with this message.`}
        />
      </div>
    </Card>
  );
}

function prettyJson(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
}

function DetailsSkeleton() {
  return (
    <div className="space-y-6" role="status" aria-label="Loading the message">
      <Card>
        <CardBody className="space-y-3">
          <Skeleton className="h-5 w-32" />
          <Skeleton className="h-6 w-3/4" />
          <Skeleton className="h-4 w-1/2" />
        </CardBody>
      </Card>
      <Card>
        <CardBody className="space-y-2">
          {[0, 1, 2, 3, 4].map((i) => (
            <Skeleton key={i} className="h-4 w-full" />
          ))}
        </CardBody>
      </Card>
    </div>
  );
}

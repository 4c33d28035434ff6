"use client";

import {
  Badge,
  Card,
  CardBody,
  CardHeader,
  cx,
  IconAlert,
  IconInfo,
  Skeleton,
  Table,
  TBody,
  Td,
  Th,
  THead,
  Tr,
} from "@faultline/ui";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { QueryError } from "../shell/query-error";
import { useTRPC } from "../trpc/client";
import { BurstChart } from "./burst-chart";
import { burstBars, burstSentence, formatCount } from "./burst-data";

const PERIODS = [
  { id: "1h", label: "Last hour", ms: 60 * 60 * 1000 },
  { id: "6h", label: "6 hours", ms: 6 * 60 * 60 * 1000 },
  { id: "24h", label: "24 hours", ms: 24 * 60 * 60 * 1000 },
] as const;
type PeriodId = (typeof PERIODS)[number]["id"];

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const formatTime = (ms: number) => timeFormat.format(new Date(ms));

/**
 * The log's "Burst protection" page: what burst protection kept and dropped in a recent period,
 * as a sentence, a chart per minute and the errors that were dropped most.
 */
export function BurstView({ logId }: { logId: string }) {
  const trpc = useTRPC();
  const [periodId, setPeriodId] = useState<PeriodId>("1h");
  const period = PERIODS.find((p) => p.id === periodId)!;
  // The period ends now, to the minute: the query key stays the same within a minute.
  const [now] = useState(() => Date.now());
  const to = new Date(Math.ceil(now / 60_000) * 60_000);
  const from = new Date(to.getTime() - period.ms);
  const details = useQuery(trpc.logs.get.queryOptions({ logId }));
  const summary = useQuery({
    ...trpc.logs.burstSummary.queryOptions({ logId, from, to }),
    // Counts arrive a few seconds after the messages (ingest reports every 5 s).
    refetchInterval: 15_000,
  });

  if (summary.isError)
    return <QueryError error={summary.error} what="log" onRetry={() => summary.refetch()} />;

  const canManage = details.data?.canManage ?? false;
  const data = summary.data;
  const sentence = data ? burstSentence(data, formatTime) : null;
  const { bars, bucketMinutes } = data
    ? burstBars(data.perMinute, data.from, data.to)
    : { bars: [], bucketMinutes: 1 };

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title="Burst protection"
          description="Over the limit, the first 3 messages of each error per minute and 1 in 100 of the rest are kept; the others are answered 429 and counted here."
          actions={
            <div className="inline-flex items-center rounded-lg bg-white p-0.5 shadow-sm ring-1 ring-slate-300 ring-inset">
              {PERIODS.map((p) => (
                <button
                  key={p.id}
                  type="button"
                  aria-pressed={p.id === periodId}
                  onClick={() => setPeriodId(p.id)}
                  className={cx(
                    "h-7 rounded-md px-2.5 text-xs font-medium whitespace-nowrap transition-colors",
                    p.id === periodId
                      ? "bg-indigo-600 text-white shadow-xs"
                      : "text-slate-600 hover:bg-slate-100",
                  )}
                >
                  {p.label}
                </button>
              ))}
            </div>
          }
        />
        <CardBody className="space-y-5">
          {!data ? (
            <div className="space-y-3">
              <Skeleton className="h-5 w-2/3" />
              <Skeleton className="h-48 w-full" />
            </div>
          ) : (
            <>
              <div className="flex flex-wrap items-start justify-between gap-3">
                {sentence ? (
                  <p
                    className="flex items-start gap-2 text-sm font-medium text-slate-900"
                    data-testid="burst-sentence"
                  >
                    <IconAlert className="mt-0.5 size-4 shrink-0 text-rose-500" />
                    <span>
                      {sentence}.{" "}
                      <span className="font-normal text-slate-500">
                        {formatCount(data.dropped)} were dropped.
                      </span>
                    </span>
                  </p>
                ) : (
                  <p className="flex items-start gap-2 text-sm text-slate-600" data-testid="burst-sentence">
                    <IconInfo className="mt-0.5 size-4 shrink-0 text-slate-400" />
                    <span>
                      No messages dropped in this period
                      {data.received > 0 && ` (${formatCount(data.received)} received, all kept)`}.
                    </span>
                  </p>
                )}
                <div className="flex items-center gap-2 text-xs text-slate-500">
                  Limit
                  <Badge tone={data.limit === null ? "slate" : "indigo"}>
                    {data.limit === null ? "No limit" : `${formatCount(data.limit)} / minute`}
                  </Badge>
                  {canManage && (
                    <Link
                      href={`/logs/${logId}/setup`}
                      className="font-medium text-indigo-600 hover:text-indigo-700"
                    >
                      Change
                    </Link>
                  )}
                </div>
              </div>
              <BurstChart
                bars={bars}
                bucketMinutes={bucketMinutes}
                limitPerMinute={data.limit}
                formatTime={formatTime}
              />
            </>
          )}
        </CardBody>
      </Card>

      {data?.topFingerprints.some((f) => f.dropped > 0) && (
        <Card>
          <CardHeader
            title="Errors dropped most"
            description="Kept messages of each error stay searchable."
          />
          <Table>
            <THead>
              <Tr>
                <Th>Error</Th>
                <Th className="text-right">Kept</Th>
                <Th className="text-right">Dropped</Th>
              </Tr>
            </THead>
            <TBody>
              {data.topFingerprints.map((f) => (
                <Tr key={f.fingerprint}>
                  <Td className="max-w-md truncate">
                    {f.title ? (
                      <Link
                        href={`/logs/${logId}?q=${encodeURIComponent(`fingerprint:${f.fingerprint}`)}`}
                        className="font-medium text-slate-900 hover:text-indigo-700"
                      >
                        {f.title}
                      </Link>
                    ) : (
                      <span className="font-mono text-xs text-slate-500">{f.fingerprint}</span>
                    )}
                  </Td>
                  <Td className="text-right tabular-nums">{formatCount(f.kept)}</Td>
                  <Td className="text-right tabular-nums text-rose-600">{formatCount(f.dropped)}</Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        </Card>
      )}
    </div>
  );
}

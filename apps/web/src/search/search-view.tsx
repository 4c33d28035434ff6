"use client";

import type { Severity } from "@faultline/core";
import {
  Button,
  buttonClasses,
  Card,
  cx,
  EmptyState,
  IconChevronLeft,
  IconChevronRight,
  IconInbox,
  IconSearch,
  SeverityBadge,
  Skeleton,
  Table,
  TBody,
  Td,
  Th,
  THead,
  Tr,
} from "@faultline/ui";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { QueryError } from "../shell/query-error";
import { errorMessage, useTRPC } from "../trpc/client";
import { useNow, usePageVisible } from "./clock";
import {
  isFiltered,
  parseSearchState,
  type SearchState,
  searchBounds,
  serializeSearchState,
} from "./search-state";
import { SeverityFilter } from "./severity-filter";
import { formatDateTime, formatRelative } from "./time";
import { TimeRangePicker } from "./time-range-picker";

const PAGE_SIZE = 50;
/** How often the newest page asks for new messages: "appears within 2 seconds" is the promise. */
const LIVE_INTERVAL_MS = 1500;

export function SearchView({ logId }: { logId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const state = useMemo(() => parseSearchState(params), [params]);
  const now = useNow(15_000);
  const visible = usePageVisible();

  const cursor = state.cursors.at(-1);
  const onNewestPage = cursor === undefined;
  const live = onNewestPage && visible;
  const { from, to } = searchBounds(state, now);

  const search = useQuery({
    ...trpc.messages.search.queryOptions({
      logId,
      query: state.query.trim() || undefined,
      severities: state.severities.length > 0 ? state.severities : undefined,
      from,
      to,
      cursor,
      limit: PAGE_SIZE,
    }),
    // Keep the rows on screen while the next search loads, instead of flashing a skeleton.
    placeholderData: keepPreviousData,
    refetchInterval: live ? LIVE_INTERVAL_MS : false,
    staleTime: 0,
  });

  const navigate = (next: SearchState) => {
    const query = serializeSearchState(next);
    router.push(query ? `${pathname}?${query}` : pathname, { scroll: false });
  };
  // Any change of the search itself starts again at the newest page.
  const update = (patch: Partial<SearchState>) => navigate({ ...state, ...patch, cursors: [] });

  const arrived = useArrivals(
    search.data?.items,
    serializeSearchState({ ...state, cursors: [] }) + (cursor ?? ""),
  );
  const backQuery = serializeSearchState(state);
  const items = search.data?.items ?? [];
  const pageNumber = state.cursors.length + 1;

  return (
    <div className="space-y-4">
      <SearchBox initial={state.query} onSearch={(query) => update({ query })} />

      <div className="flex flex-wrap items-center justify-between gap-3">
        <SeverityFilter
          selected={state.severities}
          onChange={(severities: Severity[]) => update({ severities })}
        />
        <TimeRangePicker state={state} onChange={(range) => update(range)} />
      </div>

      <Card className="overflow-hidden">
        <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-100 px-4 py-2.5">
          <div className="flex items-center gap-3 text-xs text-slate-500">
            <LiveIndicator live={live} onNewestPage={onNewestPage} fetching={search.isFetching} />
            <span>Newest first</span>
            {search.data && (
              <span>
                · Page {pageNumber} · {items.length} {items.length === 1 ? "message" : "messages"}
              </span>
            )}
            {search.isError && search.data && (
              <span className="font-medium text-amber-700" role="status">
                · Could not refresh: {errorMessage(search.error)}
              </span>
            )}
          </div>
          <Pager
            canGoNewer={!onNewestPage}
            canGoOlder={Boolean(search.data?.nextCursor)}
            onNewer={() => navigate({ ...state, cursors: state.cursors.slice(0, -1) })}
            onOlder={() => {
              const next = search.data?.nextCursor;
              if (next) navigate({ ...state, cursors: [...state.cursors, next] });
            }}
          />
        </div>

        {search.isPending ? (
          <ResultsSkeleton />
        ) : search.isError && !search.data ? (
          <div className="p-4">
            <QueryError
              error={search.error}
              what="messages"
              onRetry={() => navigate({ ...state, cursors: [] })}
            />
          </div>
        ) : items.length === 0 ? (
          isFiltered(state) || !onNewestPage ? (
            <EmptyState
              data-testid="empty-state"
              data-reason="no-matches"
              icon={<IconSearch className="size-5" />}
              title="No messages match this search"
              description="Try fewer words, other severities or a longer time range."
              action={
                <Button
                  variant="secondary"
                  onClick={() =>
                    navigate({
                      ...state,
                      query: "",
                      severities: [],
                      range: "all",
                      from: undefined,
                      to: undefined,
                      cursors: [],
                    })
                  }
                >
                  Clear search
                </Button>
              }
            />
          ) : (
            <EmptyState
              data-testid="empty-state"
              data-reason="no-messages"
              icon={<IconInbox className="size-5" />}
              title="No messages yet"
              description={
                <>
                  This log has not received anything. Send a first error with the snippets on the setup page;
                  it shows up here within seconds, no reload needed.
                </>
              }
              action={
                <Link href={`/logs/${logId}/setup`} className={buttonClasses("primary")}>
                  Set up this log
                </Link>
              }
            />
          )
        ) : (
          <Table>
            <THead>
              <Tr>
                <Th className="w-28">Time</Th>
                <Th className="w-28">Severity</Th>
                <Th>Message</Th>
                <Th>Type</Th>
                <Th className="w-20">Status</Th>
                <Th>Host</Th>
              </Tr>
            </THead>
            <TBody>
              {items.map((message) => (
                <Tr
                  key={message.id}
                  data-testid="message-row"
                  className={cx("hover:bg-slate-50", arrived.has(message.id) && "animate-arrive")}
                >
                  <Td className="whitespace-nowrap text-slate-500">
                    <time dateTime={message.dateTime} title={formatDateTime(message.dateTime)}>
                      {formatRelative(message.dateTime, now)}
                    </time>
                  </Td>
                  <Td>
                    <SeverityBadge severity={message.severity} />
                  </Td>
                  <Td className="max-w-xl">
                    <Link
                      href={`/logs/${logId}/messages/${encodeURIComponent(message.id)}${backQuery ? `?back=${encodeURIComponent(backQuery)}` : ""}`}
                      className="line-clamp-2 font-medium break-words text-slate-900 hover:text-indigo-600"
                    >
                      {message.title}
                    </Link>
                    {(message.url || message.application) && (
                      <div className="mt-0.5 truncate text-xs text-slate-400">
                        {[message.method, message.url].filter(Boolean).join(" ") || message.application}
                      </div>
                    )}
                  </Td>
                  <Td className="max-w-56 truncate font-mono text-xs" title={message.type}>
                    {message.type ?? <Dash />}
                  </Td>
                  <Td className="tabular-nums">
                    {message.statusCode !== undefined ? <StatusCode code={message.statusCode} /> : <Dash />}
                  </Td>
                  <Td className="max-w-40 truncate text-slate-500" title={message.hostname}>
                    {message.hostname ?? <Dash />}
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
      </Card>
    </div>
  );
}

/**
 * Ids that arrived through a live refresh of the same search, so they can flash briefly. The
 * first load of a search marks nothing: only what came in while the user was watching is new.
 */
function useArrivals(items: readonly { id: string }[] | undefined, searchKey: string): Set<string> {
  const seen = useRef<{ key: string; ids: Set<string> } | null>(null);
  const [arrived, setArrived] = useState<Set<string>>(() => new Set());
  useEffect(() => {
    if (!items) return;
    const previous = seen.current;
    if (!previous || previous.key !== searchKey) {
      seen.current = { key: searchKey, ids: new Set(items.map((m) => m.id)) };
      setArrived(new Set());
      return;
    }
    const fresh = items.filter((m) => !previous.ids.has(m.id)).map((m) => m.id);
    for (const id of fresh) previous.ids.add(id);
    if (fresh.length > 0) setArrived(new Set(fresh));
  }, [items, searchKey]);
  return arrived;
}

function SearchBox({ initial, onSearch }: { initial: string; onSearch: (query: string) => void }) {
  // Uncontrolled on purpose: what was typed before hydration survives it. The box is reset
  // (remounted through `key`) only when the URL's query changes from outside — back button,
  // "Clear search" — not when it changes because this box submitted it: otherwise text typed
  // right after pressing Enter would be replaced when the URL catches up.
  const [generation, setGeneration] = useState(0);
  const submitted = useRef<string | null>(null);
  const mounted = useRef(false);
  useEffect(() => {
    if (!mounted.current) {
      mounted.current = true;
      return;
    }
    if (initial !== submitted.current) setGeneration((g) => g + 1);
    submitted.current = null;
  }, [initial]);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const query = String(new FormData(event.currentTarget).get("q") ?? "");
    submitted.current = query;
    onSearch(query);
  }

  return (
    <form onSubmit={onSubmit}>
      <div className="flex gap-2">
        <div className="relative flex-1">
          <IconSearch className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400" />
          <input
            data-testid="search-input"
            name="q"
            type="search"
            key={generation}
            defaultValue={initial}
            placeholder="Search messages…  e.g. timeout type:TaskCanceledException hostname:web-1"
            aria-label="Search messages"
            className="block h-10 w-full rounded-lg border-0 bg-white pr-3 pl-9 text-sm text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:outline-none"
          />
        </div>
        <Button type="submit" className="h-10">
          Search
        </Button>
      </div>
      <p className="mt-1.5 text-xs text-slate-500">
        Words match title, detail, type, source and URL. Narrow down with{" "}
        <code className="rounded bg-slate-100 px-1 font-mono text-[11px] text-slate-700">field:value</code> —
        type, source, hostname, application, user, version, statusCode, method, category, severity.
      </p>
    </form>
  );
}

function LiveIndicator({
  live,
  onNewestPage,
  fetching,
}: {
  live: boolean;
  onNewestPage: boolean;
  fetching: boolean;
}) {
  if (live) {
    return (
      <span
        className="inline-flex items-center gap-1.5 font-medium text-emerald-700"
        title="New messages appear automatically"
      >
        <span className="relative flex size-2">
          <span
            className={cx(
              "absolute inline-flex size-full rounded-full bg-emerald-400 opacity-75",
              fetching && "animate-ping",
            )}
          />
          <span className="relative inline-flex size-2 rounded-full bg-emerald-500" />
        </span>
        Live
      </span>
    );
  }
  return (
    <span
      className="inline-flex items-center gap-1.5 text-slate-500"
      title={onNewestPage ? "Paused while this tab is hidden" : "Go to the newest page for live updates"}
    >
      <span className="size-2 rounded-full bg-slate-300" />
      Paused
    </span>
  );
}

function Pager({
  canGoNewer,
  canGoOlder,
  onNewer,
  onOlder,
}: {
  canGoNewer: boolean;
  canGoOlder: boolean;
  onNewer: () => void;
  onOlder: () => void;
}) {
  return (
    <div className="flex items-center gap-1.5">
      <Button variant="secondary" size="sm" disabled={!canGoNewer} onClick={onNewer}>
        <IconChevronLeft className="size-3.5" />
        Newer
      </Button>
      <Button variant="secondary" size="sm" disabled={!canGoOlder} onClick={onOlder}>
        Older
        <IconChevronRight className="size-3.5" />
      </Button>
    </div>
  );
}

function StatusCode({ code }: { code: number }) {
  const tone = code >= 500 ? "text-red-600" : code >= 400 ? "text-amber-700" : "text-slate-600";
  return <span className={cx("font-mono text-xs font-medium", tone)}>{code}</span>;
}

function Dash() {
  return <span className="text-slate-300">—</span>;
}

function ResultsSkeleton() {
  return (
    <div className="divide-y divide-slate-100" role="status" aria-label="Loading messages">
      {Array.from({ length: 8 }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <div key={i} className="flex items-center gap-4 px-4 py-3">
          <Skeleton className="h-4 w-16" />
          <Skeleton className="h-5 w-16" />
          <Skeleton className="h-4 flex-1" />
          <Skeleton className="h-4 w-32" />
          <Skeleton className="h-4 w-10" />
        </div>
      ))}
    </div>
  );
}

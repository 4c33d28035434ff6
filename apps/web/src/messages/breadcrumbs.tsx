import type { Breadcrumb } from "@faultline/core";
import { cx } from "@faultline/ui";
import { formatDateTime } from "../search/time";

const dotTone: Record<string, string> = {
  Verbose: "bg-slate-300",
  Debug: "bg-violet-400",
  Information: "bg-sky-400",
  Warning: "bg-amber-400",
  Error: "bg-red-500",
  Fatal: "bg-rose-700",
};

/** What happened before the error, oldest first, as a vertical timeline. */
export function Breadcrumbs({ items }: { items: Breadcrumb[] }) {
  return (
    <ol className="relative space-y-4 px-5 py-4">
      <span aria-hidden="true" className="absolute top-6 bottom-6 left-[27px] w-px bg-slate-200" />
      {items.map((crumb, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: breadcrumbs are positional
        <li key={index} className="relative flex gap-3">
          <span
            aria-hidden="true"
            className={cx(
              "relative mt-1 size-2.5 shrink-0 rounded-full ring-4 ring-white",
              dotTone[crumb.severity ?? ""] ?? "bg-slate-300",
            )}
          />
          <div className="min-w-0 flex-1">
            <p className="flex flex-wrap items-center gap-x-2 text-xs text-slate-500">
              {crumb.category && <span className="font-medium text-slate-700">{crumb.category}</span>}
              {crumb.action && <span className="font-mono">{crumb.action}</span>}
              {crumb.dateTime && <time dateTime={crumb.dateTime}>{formatDateTime(crumb.dateTime)}</time>}
            </p>
            {crumb.message && <p className="mt-0.5 text-sm break-words text-slate-800">{crumb.message}</p>}
          </div>
        </li>
      ))}
    </ol>
  );
}

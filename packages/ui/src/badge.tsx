import type { ReactNode } from "react";
import { cx } from "./classes";

export type BadgeTone = "slate" | "blue" | "green" | "amber" | "red" | "rose" | "violet" | "indigo";

const tones: Record<BadgeTone, string> = {
  slate: "bg-slate-100 text-slate-700 ring-slate-500/20",
  blue: "bg-sky-50 text-sky-700 ring-sky-600/20",
  green: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/25",
  red: "bg-red-50 text-red-700 ring-red-600/20",
  rose: "bg-rose-600 text-white ring-rose-700/30",
  violet: "bg-violet-50 text-violet-700 ring-violet-600/20",
  indigo: "bg-indigo-50 text-indigo-700 ring-indigo-600/20",
};

export function Badge({
  tone = "slate",
  className,
  children,
}: {
  tone?: BadgeTone;
  className?: string;
  children: ReactNode;
}) {
  return (
    <span
      className={cx(
        "inline-flex items-center gap-1 rounded-md px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset",
        tones[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

/**
 * Tones by elmah.io severity, lowest first. Fatal is filled so it stands out in a long list of
 * errors; unknown names (a newer server, a typo in stored data) fall back to neutral.
 */
const severityTones: Record<string, BadgeTone> = {
  Verbose: "slate",
  Debug: "violet",
  Information: "blue",
  Warning: "amber",
  Error: "red",
  Fatal: "rose",
};

const severityDots: Record<string, string> = {
  Verbose: "bg-slate-400",
  Debug: "bg-violet-500",
  Information: "bg-sky-500",
  Warning: "bg-amber-500",
  Error: "bg-red-500",
  Fatal: "bg-white",
};

export function severityTone(severity: string): BadgeTone {
  return severityTones[severity] ?? "slate";
}

export function SeverityBadge({ severity, className }: { severity: string; className?: string }) {
  return (
    <Badge tone={severityTone(severity)} className={className}>
      <span
        aria-hidden="true"
        className={cx("size-1.5 rounded-full", severityDots[severity] ?? "bg-slate-400")}
      />
      {severity}
    </Badge>
  );
}

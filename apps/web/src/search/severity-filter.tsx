"use client";

import type { Severity } from "@faultline/core";
import { cx } from "@faultline/ui";
import { SEVERITY_LIST } from "./severities";

const activeTones: Record<Severity, string> = {
  Verbose: "bg-slate-600 text-white ring-slate-600",
  Debug: "bg-violet-600 text-white ring-violet-600",
  Information: "bg-sky-600 text-white ring-sky-600",
  Warning: "bg-amber-500 text-white ring-amber-500",
  Error: "bg-red-600 text-white ring-red-600",
  Fatal: "bg-rose-700 text-white ring-rose-700",
};

const dots: Record<Severity, string> = {
  Verbose: "bg-slate-400",
  Debug: "bg-violet-500",
  Information: "bg-sky-500",
  Warning: "bg-amber-500",
  Error: "bg-red-500",
  Fatal: "bg-rose-700",
};

/** Severity chips: none selected means every severity. */
export function SeverityFilter({
  selected,
  onChange,
}: {
  selected: Severity[];
  onChange: (severities: Severity[]) => void;
}) {
  const toggle = (severity: Severity) =>
    onChange(
      selected.includes(severity)
        ? selected.filter((s) => s !== severity)
        : SEVERITY_LIST.filter((s) => s === severity || selected.includes(s)),
    );
  return (
    <fieldset className="flex flex-wrap items-center gap-1.5">
      <legend className="sr-only">Severity</legend>
      {SEVERITY_LIST.map((severity) => {
        const active = selected.includes(severity);
        return (
          <button
            key={severity}
            type="button"
            aria-pressed={active}
            onClick={() => toggle(severity)}
            className={cx(
              "inline-flex h-7 items-center gap-1.5 rounded-full px-2.5 text-xs font-medium ring-1 transition-colors ring-inset",
              active ? activeTones[severity] : "bg-white text-slate-600 ring-slate-300 hover:bg-slate-50",
            )}
          >
            {!active && <span aria-hidden="true" className={cx("size-1.5 rounded-full", dots[severity])} />}
            {severity}
          </button>
        );
      })}
      {selected.length > 0 && (
        <button
          type="button"
          onClick={() => onChange([])}
          className="ml-1 text-xs font-medium text-slate-500 hover:text-slate-800"
        >
          Any severity
        </button>
      )}
    </fieldset>
  );
}

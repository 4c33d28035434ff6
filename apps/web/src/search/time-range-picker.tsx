"use client";

import { Button, cx, IconClock } from "@faultline/ui";
import { type FormEvent, useState } from "react";
import { RANGE_PRESETS, type SearchState } from "./search-state";
import { formatDateTime, toDateTimeLocal } from "./time";

type RangePatch = Pick<SearchState, "range" | "from" | "to">;

export function TimeRangePicker({
  state,
  onChange,
}: {
  state: SearchState;
  onChange: (patch: RangePatch) => void;
}) {
  const [editingCustom, setEditingCustom] = useState(false);
  const showCustom = editingCustom || state.range === "custom";

  return (
    <div className="flex flex-col items-end gap-2">
      <div className="inline-flex items-center rounded-lg bg-white p-0.5 shadow-sm ring-1 ring-slate-300 ring-inset">
        <IconClock className="mx-1.5 size-3.5 text-slate-400" />
        {RANGE_PRESETS.map((preset) => (
          <Segment
            key={preset.id}
            active={state.range === preset.id && !editingCustom}
            onClick={() => {
              setEditingCustom(false);
              onChange({ range: preset.id, from: undefined, to: undefined });
            }}
          >
            {preset.label}
          </Segment>
        ))}
        <Segment active={showCustom} onClick={() => setEditingCustom(true)}>
          Custom
        </Segment>
      </div>
      {showCustom && (
        <CustomRange
          state={state}
          onApply={(from, to) => {
            setEditingCustom(false);
            onChange({ range: "custom", from, to });
          }}
        />
      )}
    </div>
  );
}

function Segment({ active, onClick, children }: { active: boolean; onClick: () => void; children: string }) {
  return (
    <button
      type="button"
      aria-pressed={active}
      onClick={onClick}
      className={cx(
        "h-7 rounded-md px-2.5 text-xs font-medium whitespace-nowrap transition-colors",
        active ? "bg-indigo-600 text-white shadow-sm" : "text-slate-600 hover:bg-slate-100",
      )}
    >
      {children}
    </button>
  );
}

/** From–to in the browser's local time; either end may stay empty for an open range. */
function CustomRange({
  state,
  onApply,
}: {
  state: SearchState;
  onApply: (from?: string, to?: string) => void;
}) {
  const [from, setFrom] = useState(() => (state.from ? toDateTimeLocal(new Date(state.from)) : ""));
  const [to, setTo] = useState(() => (state.to ? toDateTimeLocal(new Date(state.to)) : ""));
  const invalid = from !== "" && to !== "" && new Date(from) >= new Date(to);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (invalid) return;
    onApply(from ? new Date(from).toISOString() : undefined, to ? new Date(to).toISOString() : undefined);
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
      <label className="flex items-center gap-1.5">
        From
        <input
          type="datetime-local"
          value={from}
          onChange={(event) => setFrom(event.target.value)}
          className="h-8 rounded-md border-0 px-2 text-xs ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600 focus:outline-none"
        />
      </label>
      <label className="flex items-center gap-1.5">
        to
        <input
          type="datetime-local"
          value={to}
          onChange={(event) => setTo(event.target.value)}
          className="h-8 rounded-md border-0 px-2 text-xs ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600 focus:outline-none"
        />
      </label>
      <Button type="submit" size="sm" disabled={invalid}>
        Apply
      </Button>
      {invalid && <span className="text-red-600">“From” must be before “to”.</span>}
      {!invalid && state.range === "custom" && (state.from || state.to) && (
        <span className="text-slate-400">
          {state.from ? formatDateTime(state.from) : "beginning"} –{" "}
          {state.to ? formatDateTime(state.to) : "now"}
        </span>
      )}
    </form>
  );
}

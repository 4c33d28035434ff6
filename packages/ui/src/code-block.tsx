import type { ReactNode } from "react";
import { cx } from "./classes";
import { CopyButton } from "./copy-button";

/** A dark monospace block with a title bar and a copy button for snippets users paste elsewhere. */
export function CodeBlock({
  code,
  title,
  className,
  testId,
}: {
  code: string;
  title?: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <div className={cx("overflow-hidden rounded-lg border border-slate-800 bg-slate-900", className)}>
      <div className="flex items-center justify-between gap-3 border-b border-slate-800 px-3 py-1.5">
        <span className="text-xs font-medium text-slate-400">{title}</span>
        <CopyButton text={code} variant="inverse" />
      </div>
      <pre className="overflow-x-auto px-4 py-3 text-[13px] leading-relaxed text-slate-100">
        <code data-testid={testId}>{code}</code>
      </pre>
    </div>
  );
}

/** One value users copy (a key, a DSN, a URL): shown in full, monospace, with a copy button. */
export function CopyField({
  value,
  testId,
  className,
}: {
  value: string;
  testId?: string;
  className?: string;
}) {
  return (
    <div
      className={cx(
        "flex items-center gap-2 rounded-md border border-slate-200 bg-slate-50 py-1 pr-1 pl-3",
        className,
      )}
    >
      <code
        data-testid={testId}
        className="min-w-0 flex-1 truncate font-mono text-[13px] text-slate-800"
        title={value}
      >
        {value}
      </code>
      <CopyButton text={value} />
    </div>
  );
}

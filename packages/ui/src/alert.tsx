import type { ReactNode } from "react";
import { cx } from "./classes";
import { IconAlert, IconInfo } from "./icons";

const tones = {
  error: "border-red-200 bg-red-50 text-red-800",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
  info: "border-sky-200 bg-sky-50 text-sky-900",
  success: "border-emerald-200 bg-emerald-50 text-emerald-900",
} as const;

/** A message box; errors should say what happened and what to do next. */
export function Alert({
  tone = "error",
  title,
  children,
  action,
  className,
}: {
  tone?: keyof typeof tones;
  title?: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
}) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={cx("flex gap-3 rounded-lg border px-4 py-3 text-sm", tones[tone], className)}
    >
      {tone === "error" || tone === "warning" ? (
        <IconAlert className="mt-0.5 size-4 shrink-0" />
      ) : (
        <IconInfo className="mt-0.5 size-4 shrink-0" />
      )}
      <div className="min-w-0 flex-1">
        {title && <p className="font-medium">{title}</p>}
        {children && <div className={cx(title ? "mt-1" : undefined, "opacity-90")}>{children}</div>}
      </div>
      {action && <div className="shrink-0">{action}</div>}
    </div>
  );
}

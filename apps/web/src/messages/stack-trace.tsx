import type { ExceptionInfo, StackFrame } from "@faultline/core";
import { cx } from "@faultline/ui";

/**
 * Structured exceptions, outermost first, each with its frames newest call first (SDKs send them
 * oldest first; people read a trace from where it threw). The application's own frames are
 * highlighted and show their source lines; library frames are dimmed.
 */
export function StackTrace({ exceptions }: { exceptions: ExceptionInfo[] }) {
  return (
    <div className="divide-y divide-slate-100">
      {exceptions.map((exception, index) => (
        // Exceptions have no id; their position in the chain is what identifies them.
        // biome-ignore lint/suspicious/noArrayIndexKey: order is fixed for a stored message
        <section key={index} className="px-5 py-4">
          <p className="font-mono text-sm break-words">
            <span className="font-semibold text-red-700">{exception.type ?? "Error"}</span>
            {exception.value && <span className="text-slate-700">: {exception.value}</span>}
          </p>
          {exception.module && <p className="mt-0.5 font-mono text-xs text-slate-400">{exception.module}</p>}
          {exception.frames.length > 0 ? (
            <ol className="mt-3 overflow-hidden rounded-lg border border-slate-200">
              {[...exception.frames].reverse().map((frame, frameIndex) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: frames are positional
                <Frame key={frameIndex} frame={frame} />
              ))}
            </ol>
          ) : (
            <p className="mt-2 text-xs text-slate-400">No frames were sent for this exception.</p>
          )}
        </section>
      ))}
    </div>
  );
}

function Frame({ frame }: { frame: StackFrame }) {
  const inApp = frame.inApp === true;
  const location = [frame.filename ?? frame.module, frame.lineno, frame.colno]
    .filter((p) => p !== undefined)
    .join(":");
  return (
    <li
      data-in-app={inApp || undefined}
      className={cx(
        "border-b border-slate-100 font-mono text-xs last:border-b-0",
        inApp
          ? "border-l-4 border-l-indigo-500 bg-white"
          : "border-l-4 border-l-transparent bg-slate-50/70 text-slate-500",
      )}
    >
      <div className="flex flex-wrap items-baseline gap-x-2 px-3 py-1.5">
        <span className={cx("break-all", inApp ? "font-semibold text-slate-900" : "text-slate-600")}>
          {frame.function ?? "<anonymous>"}
        </span>
        {location && <span className="break-all text-slate-400">{location}</span>}
        {inApp && (
          <span className="ml-auto rounded bg-indigo-50 px-1.5 text-[10px] font-sans font-medium text-indigo-700">
            your code
          </span>
        )}
      </div>
      {inApp && frame.contextLine !== undefined && (
        <pre className="overflow-x-auto border-t border-slate-100 bg-slate-900 px-3 py-2 text-[12px] leading-5 text-slate-300">
          {frame.preContext?.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: source lines are positional
            <div key={`pre-${i}`}>{line || " "}</div>
          ))}
          <div className="-mx-3 bg-indigo-500/25 px-3 text-white">{frame.contextLine || " "}</div>
          {frame.postContext?.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: source lines are positional
            <div key={`post-${i}`}>{line || " "}</div>
          ))}
        </pre>
      )}
    </li>
  );
}

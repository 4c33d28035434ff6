import { type BurstBar, formatCount, niceCeiling } from "./burst-data";

// Drawing units; the SVG scales to its container's width and keeps this aspect ratio.
const WIDTH = 720;
const HEIGHT = 220;
const PAD = { top: 12, right: 12, bottom: 28, left: 48 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

/**
 * Kept (indigo) and dropped (rose) messages per bar, stacked, with the limit per bar as a dashed
 * line. Hand-drawn SVG: one chart does not justify a chart library in the bundle.
 */
export function BurstChart({
  bars,
  bucketMinutes,
  limitPerMinute,
  formatTime,
}: {
  bars: readonly BurstBar[];
  bucketMinutes: number;
  limitPerMinute: number | null;
  formatTime: (ms: number) => string;
}) {
  const limitPerBar = limitPerMinute === null ? null : limitPerMinute * bucketMinutes;
  const highest = Math.max(0, ...bars.map((b) => b.kept + b.dropped));
  // The limit line is drawn only when traffic comes near it; otherwise it would flatten the bars.
  const showLimit = limitPerBar !== null && highest >= limitPerBar * 0.5;
  const top = niceCeiling(Math.max(highest, showLimit ? limitPerBar : 0, 1));
  const y = (value: number) => PAD.top + PLOT_H - (value / top) * PLOT_H;
  const slot = PLOT_W / Math.max(1, bars.length);
  const barWidth = Math.max(1, slot * 0.72);
  const ticks = [0, top / 2, top];
  const labelEvery = Math.max(1, Math.ceil(bars.length / 6));
  const unit = bucketMinutes === 1 ? "minute" : `${bucketMinutes} minutes`;

  return (
    <figure className="w-full">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="h-auto w-full"
        role="img"
        aria-label={`Messages kept and dropped per ${unit}`}
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} className="stroke-slate-200" />
            <text
              x={PAD.left - 8}
              y={y(t)}
              textAnchor="end"
              dominantBaseline="middle"
              className="fill-slate-400 text-[10px]"
            >
              {formatCount(t)}
            </text>
          </g>
        ))}
        {bars.map((bar, i) => {
          const x = PAD.left + i * slot + (slot - barWidth) / 2;
          const keptTop = y(bar.kept);
          const droppedTop = y(bar.kept + bar.dropped);
          return (
            <g key={bar.start}>
              <title>
                {`${formatTime(bar.start)}–${formatTime(bar.end)}: ${formatCount(bar.kept)} kept, ${formatCount(bar.dropped)} dropped`}
              </title>
              {/* A transparent full-height target, so thin and empty bars still show their tooltip. */}
              <rect
                x={PAD.left + i * slot}
                y={PAD.top}
                width={slot}
                height={PLOT_H}
                className="fill-transparent"
              />
              {bar.kept > 0 && (
                <rect
                  x={x}
                  y={keptTop}
                  width={barWidth}
                  height={y(0) - keptTop}
                  className="fill-indigo-500"
                />
              )}
              {bar.dropped > 0 && (
                <rect
                  x={x}
                  y={droppedTop}
                  width={barWidth}
                  height={keptTop - droppedTop}
                  className="fill-rose-400"
                />
              )}
              {i % labelEvery === 0 && (
                <text
                  x={x + barWidth / 2}
                  y={HEIGHT - 8}
                  textAnchor="middle"
                  className="fill-slate-400 text-[10px]"
                >
                  {formatTime(bar.start)}
                </text>
              )}
            </g>
          );
        })}
        {showLimit && limitPerBar !== null && (
          <g>
            <line
              x1={PAD.left}
              x2={WIDTH - PAD.right}
              y1={y(limitPerBar)}
              y2={y(limitPerBar)}
              strokeDasharray="4 4"
              className="stroke-amber-500"
            />
            {/* At the left: the newest bars, on the right, are the likeliest to reach the line. */}
            <text x={PAD.left + 4} y={y(limitPerBar) - 4} className="fill-amber-600 text-[10px]">
              limit
            </text>
          </g>
        )}
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} className="stroke-slate-300" />
      </svg>
      <figcaption className="mt-2 flex flex-wrap items-center gap-4 text-xs text-slate-500">
        <span className="inline-flex items-center gap-1.5">
          <span className="size-2.5 rounded-sm bg-indigo-500" aria-hidden="true" /> Kept
        </span>
        <span className="inline-flex items-center gap-1.5">
          <span className="size-2.5 rounded-sm bg-rose-400" aria-hidden="true" /> Dropped (answered 429)
        </span>
        {showLimit && (
          <span className="inline-flex items-center gap-1.5">
            <span className="h-0 w-4 border-t-2 border-dashed border-amber-500" aria-hidden="true" /> Limit
          </span>
        )}
        <span className="ml-auto">per {unit}</span>
      </figcaption>
    </figure>
  );
}

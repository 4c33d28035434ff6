// A closed-loop HTTP load generator, run as its own process so that its CPU use is not charged
// to the server under test: `concurrency` workers each POST one body after another over
// keep-alive connections for `seconds`, after a warm-up that is not measured.
// Input: one JSON line on argv[2] ({ url, headers, bodiesFile, concurrency, seconds, warmupSeconds,
// expectStatus }). Output: one JSON line on stdout with requests/s, latency percentiles, errors.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";

const spec = JSON.parse(process.argv[2]);
const bodies = JSON.parse(readFileSync(spec.bodiesFile, "utf8")).map((b) => Buffer.from(b));
const url = new URL(spec.url);
const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency });

function post(body) {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { ...spec.headers, "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

async function run(seconds, record) {
  const until = performance.now() + seconds * 1000;
  let next = 0;
  const latencies = [];
  const statuses = {};
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (performance.now() < until) {
        const body = bodies[next++ % bodies.length];
        const t0 = performance.now();
        const status = await post(body);
        if (record) {
          latencies.push(performance.now() - t0);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }
    }),
  );
  return { latencies, statuses, ms: performance.now() - started };
}

await run(spec.warmupSeconds, false);
const { latencies, statuses, ms } = await run(spec.seconds, true);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
const ok = statuses[spec.expectStatus] ?? 0;
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    ok,
    statuses,
    rps: (ok / ms) * 1000,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: latencies.at(-1) ?? 0,
  })}\n`,
);
agent.destroy();

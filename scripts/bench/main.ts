// `npm run bench -- <name> [--flags]`: benchmarks that run ours and a reference side by side in
// one run and print the ratio, because a shared 2-core machine is too noisy for absolute numbers.
import { parseArgs } from "node:util";
import { e2e } from "./e2e";
import { ingest } from "./ingest";

const BENCHES: Record<string, (flags: Record<string, string | boolean | undefined>) => Promise<void>> = {
  e2e,
  ingest,
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: {
    messages: { type: "string" },
    concurrency: { type: "string" },
    bulk: { type: "string" },
    indexers: { type: "string" },
    seconds: { type: "string" },
    rounds: { type: "string" },
    "cpu-prof": { type: "boolean" },
  },
});
const names = positionals.length > 0 ? positionals : Object.keys(BENCHES);
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(", ")}`);
    process.exit(2);
  }
  await bench(values);
}

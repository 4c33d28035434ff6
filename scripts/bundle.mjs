// Bundles a Node app into one ESM file. Workspace packages (@faultline/*) export TypeScript
// source, so they are inlined; every other dependency stays an import resolved from
// node_modules at run time (native modules such as better-sqlite3 cannot be bundled).
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: node scripts/bundle.mjs <entry.ts> <outfile.mjs>");
  process.exit(2);
}

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  // Bundled CommonJS helpers call require(); give ESM output a real one.
  banner: {
    js: "import { createRequire as __faultlineRequire } from 'node:module'; const require = __faultlineRequire(import.meta.url);",
  },
  plugins: [
    {
      name: "external-dependencies",
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith("@faultline/")) return undefined;
          return { path: args.path, external: true };
        });
      },
    },
  ],
});

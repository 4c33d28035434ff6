import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The workspace packages publish TypeScript source, not built JavaScript.
  transpilePackages: [
    "@faultline/config",
    "@faultline/core",
    "@faultline/db",
    "@faultline/search",
    "@faultline/ui",
  ],
  // Native addon: it must be loaded by Node at run time, never bundled.
  serverExternalPackages: ["better-sqlite3"],
  poweredByHeader: false,
};

export default nextConfig;

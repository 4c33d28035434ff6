import { type Config, loadConfig } from "@faultline/config";

/**
 * The web app's one reader of `process.env`. It is read on first use rather than at import,
 * because `next build` imports route modules while collecting page data, when the run-time
 * settings (NEXTAUTH_SECRET above all) are not there yet.
 */
let cached: Config | undefined;

export function getConfig(): Config {
  cached ??= loadConfig(process.env, { authSecret: true });
  return cached;
}

/** The secret that signs session cookies; loadConfig has already refused to start without it. */
export function getAuthSecret(): string {
  const secret = getConfig().web.authSecret;
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set");
  return secret;
}

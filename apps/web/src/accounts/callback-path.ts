/**
 * Where to go after signing in. Only paths on this site are followed: an absolute URL in
 * `callbackUrl` would make the sign-in page an open redirect.
 */
export function safeCallbackPath(callbackUrl: string | null | undefined): string {
  if (!callbackUrl) return "/";
  let path = callbackUrl;
  // next-auth itself builds absolute callback URLs for this site; keep just their path.
  if (/^https?:\/\//i.test(path)) {
    try {
      const url = new URL(path);
      path = `${url.pathname}${url.search}${url.hash}`;
    } catch {
      return "/";
    }
  }
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return "/";
  if (path.startsWith("/sign-in") || path.startsWith("/sign-up")) return "/";
  return path;
}

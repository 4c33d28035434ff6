import { type NextRequest, NextResponse } from "next/server";
import { REQUEST_PATH_HEADER } from "./shell/request-path";

/**
 * Passes the requested path to server components, which cannot read it otherwise: the app
 * layout needs it to send a signed-out visitor of a shared search link back to that link after
 * signing in. The session itself is checked in the layout, next to the data it protects.
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set(REQUEST_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/((?!api/|_next/|favicon.ico).*)"] };

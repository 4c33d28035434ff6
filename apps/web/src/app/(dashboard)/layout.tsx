import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getSessionUser } from "../../server/auth";
import { AppShell } from "../../shell/app-shell";
import { REQUEST_PATH_HEADER } from "../../shell/request-path";

// Every page depends on the session cookie; none may be rendered once at build time.
export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await getSessionUser();
  if (!user) {
    // Set by src/proxy.ts, so a shared link survives the detour through the sign-in page.
    const path = (await headers()).get(REQUEST_PATH_HEADER);
    redirect(path && path !== "/" ? `/sign-in?callbackUrl=${encodeURIComponent(path)}` : "/sign-in");
  }
  return <AppShell user={user}>{children}</AppShell>;
}

import { Logo } from "@faultline/ui";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getSessionUser } from "../../server/auth";

// Every page depends on the session cookie; none may be rendered once at build time.
export const dynamic = "force-dynamic";

export default async function AuthLayout({ children }: { children: ReactNode }) {
  // Someone already signed in has nothing to do on these pages.
  if (await getSessionUser()) redirect("/");
  return (
    <div className="flex min-h-screen flex-col items-center justify-center bg-gradient-to-b from-indigo-50/60 via-slate-50 to-slate-50 px-4 py-12">
      <div className="mb-8 flex items-center gap-2.5">
        <Logo className="size-9" />
        <span className="text-xl font-semibold tracking-tight text-slate-900">Faultline</span>
      </div>
      <div className="w-full max-w-sm">{children}</div>
      <p className="mt-10 text-xs text-slate-400">Error logging for your applications.</p>
    </div>
  );
}

import { Logo } from "@faultline/ui";
import Link from "next/link";
import type { ReactNode } from "react";
import type { SessionUser } from "../server/auth";
import { SidebarNav } from "./sidebar-nav";
import { UserMenu } from "./user-menu";

/** The frame of every signed-in page: a sidebar with organizations and logs, a top bar, the page. */
export function AppShell({ user, children }: { user: SessionUser; children: ReactNode }) {
  return (
    <div className="min-h-screen">
      <aside className="fixed inset-y-0 left-0 z-20 hidden w-64 flex-col border-r border-slate-200 bg-white lg:flex">
        <Link href="/" className="flex h-14 shrink-0 items-center gap-2.5 border-b border-slate-100 px-5">
          <Logo className="size-7" />
          <span className="text-[15px] font-semibold tracking-tight text-slate-900">Faultline</span>
        </Link>
        <SidebarNav />
      </aside>
      <div className="lg:pl-64">
        <header className="sticky top-0 z-10 flex h-14 items-center justify-between gap-4 border-b border-slate-200 bg-white/85 px-4 backdrop-blur sm:px-6">
          <Link href="/" className="flex items-center gap-2 lg:hidden">
            <Logo className="size-7" />
            <span className="font-semibold text-slate-900">Faultline</span>
          </Link>
          <div className="hidden lg:block" />
          <UserMenu user={user} />
        </header>
        <main className="mx-auto w-full max-w-7xl px-4 py-8 sm:px-6 lg:px-8">{children}</main>
      </div>
    </div>
  );
}

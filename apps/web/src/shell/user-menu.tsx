"use client";

import { Button, IconLogout } from "@faultline/ui";
import { signOut } from "next-auth/react";
import { useState } from "react";
import type { SessionUser } from "../server/auth";

export function UserMenu({ user }: { user: SessionUser }) {
  const [pending, setPending] = useState(false);
  const display = user.name || user.email;
  return (
    <div className="flex items-center gap-3">
      <div className="hidden text-right sm:block">
        <p className="text-sm leading-tight font-medium text-slate-800">{display}</p>
        {user.name && <p className="text-xs leading-tight text-slate-500">{user.email}</p>}
      </div>
      <span
        aria-hidden="true"
        className="flex size-8 items-center justify-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-700"
      >
        {display.slice(0, 1).toUpperCase()}
      </span>
      <Button
        variant="ghost"
        size="sm"
        loading={pending}
        onClick={() => {
          setPending(true);
          void signOut({ callbackUrl: "/sign-in" });
        }}
      >
        {!pending && <IconLogout className="size-3.5" />}
        Sign out
      </Button>
    </div>
  );
}

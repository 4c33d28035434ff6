"use client";

import { Card, cx, IconCheck, Logo } from "@faultline/ui";
import type { ReactNode } from "react";
import { CreateLogForm } from "../logs/create-log-form";
import { CreateOrganizationForm } from "./create-organization-form";

/**
 * The first minutes of a new account: an organization, then a log, then the setup page with the
 * key and snippets. Shown until the first log exists.
 */
export function Onboarding({ organization }: { organization?: { id: string; name: string } }) {
  return (
    <div className="mx-auto max-w-2xl py-6">
      <div className="mb-8 text-center">
        <Logo className="mx-auto mb-4 size-10" />
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Welcome to Faultline</h1>
        <p className="mt-2 text-sm text-slate-500">
          Two steps and your application can start sending errors. It takes about a minute.
        </p>
      </div>
      <Card className="divide-y divide-slate-100">
        <Step
          number={1}
          done={Boolean(organization)}
          active={!organization}
          title="Create your organization"
          description="Your team or company. Logs and members belong to an organization."
        >
          {organization ? (
            <p className="text-sm text-slate-600">
              Created <span className="font-medium text-slate-900">{organization.name}</span>.
            </p>
          ) : (
            <CreateOrganizationForm />
          )}
        </Step>
        <Step
          number={2}
          done={false}
          active={Boolean(organization)}
          title="Create your first log"
          description="One log per application and environment, e.g. “shop-api (production)”. You get an ingest key and ready-to-paste snippets."
        >
          {organization && <CreateLogForm organizationId={organization.id} autoFocus />}
        </Step>
      </Card>
    </div>
  );
}

function Step({
  number,
  done,
  active,
  title,
  description,
  children,
}: {
  number: number;
  done: boolean;
  active: boolean;
  title: string;
  description: string;
  children?: ReactNode;
}) {
  return (
    <section className={cx("flex gap-4 px-6 py-5", !active && !done && "opacity-55")}>
      <span
        className={cx(
          "flex size-7 shrink-0 items-center justify-center rounded-full text-sm font-semibold",
          done
            ? "bg-emerald-100 text-emerald-700"
            : active
              ? "bg-indigo-600 text-white"
              : "bg-slate-100 text-slate-500",
        )}
      >
        {done ? <IconCheck className="size-4" /> : number}
      </span>
      <div className="min-w-0 flex-1 space-y-3">
        <div>
          <h2 className="text-sm font-semibold text-slate-900">{title}</h2>
          <p className="mt-0.5 text-sm text-slate-500">{description}</p>
        </div>
        {children}
      </div>
    </section>
  );
}

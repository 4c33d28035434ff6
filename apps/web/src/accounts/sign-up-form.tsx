"use client";

import { Alert, Button, Card, CardBody, Field, Input } from "@faultline/ui";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { useHydrated } from "../shell/hydrated";
import { errorMessage, useTRPC } from "../trpc/client";

export function SignUpForm() {
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const router = useRouter();
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [signingIn, setSigningIn] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    const name = String(form.get("name") ?? "").trim();
    setError(null);
    try {
      await signUp.mutateAsync({ email, password, name: name || undefined });
    } catch (cause) {
      setError(errorMessage(cause));
      return;
    }
    setSigningIn(true);
    const result = await signIn("credentials", { email, password, redirect: false });
    if (!result?.ok) {
      setSigningIn(false);
      setError("Your account was created, but signing in failed. Sign in with your new password.");
      return;
    }
    // The home page walks a new account through creating an organization and a log.
    router.replace("/");
    router.refresh();
  }

  return (
    <Card>
      <CardBody className="space-y-6 px-6 py-7">
        <div>
          <h1 className="text-lg font-semibold text-slate-900">Create your account</h1>
          <p className="mt-1 text-sm text-slate-500">
            Start collecting your application's errors in minutes.
          </p>
        </div>
        {error && <Alert>{error}</Alert>}
        <form method="post" className="space-y-4" onSubmit={onSubmit}>
          <Field label="Name" htmlFor="name">
            <Input
              id="name"
              name="name"
              autoComplete="name"
              placeholder="Ada Lovelace"
              maxLength={100}
              autoFocus
            />
          </Field>
          <Field label="Email" htmlFor="email">
            <Input
              id="email"
              name="email"
              type="email"
              autoComplete="email"
              placeholder="you@company.com"
              required
            />
          </Field>
          <Field label="Password" htmlFor="password" hint="At least 8 characters.">
            <Input
              id="password"
              name="password"
              type="password"
              autoComplete="new-password"
              minLength={8}
              required
            />
          </Field>
          <Button
            type="submit"
            className="w-full"
            loading={signUp.isPending || signingIn}
            disabled={!hydrated}
          >
            Sign up
          </Button>
        </form>
        <p className="text-center text-sm text-slate-500">
          Already have an account?{" "}
          <Link href="/sign-in" className="font-medium text-indigo-600 hover:text-indigo-500">
            Sign in
          </Link>
        </p>
      </CardBody>
    </Card>
  );
}

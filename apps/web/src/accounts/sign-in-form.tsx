"use client";

import { Alert, Button, Card, CardBody, Field, Input } from "@faultline/ui";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";
import { useHydrated } from "../shell/hydrated";
import { safeCallbackPath } from "./callback-path";

export function SignInForm() {
  const hydrated = useHydrated();
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    try {
      const result = await signIn("credentials", {
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
        redirect: false,
      });
      if (!result?.ok) {
        setError(
          result?.error === "CredentialsSignin"
            ? "That email and password do not match an account. Check them and try again."
            : "Signing in failed. Try again in a moment.",
        );
        return;
      }
      router.replace(safeCallbackPath(params.get("callbackUrl")));
      router.refresh();
    } catch {
      setError("The server did not answer. Check your connection and try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <Card>
      <CardBody className="space-y-6 px-6 py-7">
        <div>
          <h1 className="text-lg font-semibold text-slate-900">Welcome back</h1>
          <p className="mt-1 text-sm text-slate-500">Sign in to see your logs.</p>
        </div>
        {error && <Alert>{error}</Alert>}
        <form method="post" className="space-y-4" onSubmit={onSubmit}>
          <Field label="Email" htmlFor="email">
            <Input id="email" name="email" type="email" autoComplete="email" required autoFocus />
          </Field>
          <Field label="Password" htmlFor="password">
            <Input id="password" name="password" type="password" autoComplete="current-password" required />
          </Field>
          <Button type="submit" className="w-full" loading={pending} disabled={!hydrated}>
            Sign in
          </Button>
        </form>
        <p className="text-center text-sm text-slate-500">
          New to Faultline?{" "}
          <Link href="/sign-up" className="font-medium text-indigo-600 hover:text-indigo-500">
            Create an account
          </Link>
        </p>
      </CardBody>
    </Card>
  );
}

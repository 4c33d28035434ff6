import { buttonClasses, Logo } from "@faultline/ui";
import Link from "next/link";

export default function NotFound() {
  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-4 px-4 text-center">
      <Logo className="size-10" />
      <h1 className="text-xl font-semibold text-slate-900">Page not found</h1>
      <p className="max-w-sm text-sm text-slate-500">The address may be mistyped, or the page has moved.</p>
      <Link href="/" className={buttonClasses("primary")}>
        Go to your logs
      </Link>
    </div>
  );
}

import type { ReactNode } from "react";
import { LogFrame } from "../../../../logs/log-header";

export default async function LogLayout({
  params,
  children,
}: {
  params: Promise<{ logId: string }>;
  children: ReactNode;
}) {
  const { logId } = await params;
  return <LogFrame logId={logId}>{children}</LogFrame>;
}

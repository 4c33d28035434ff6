import { SetupView } from "../../../../../logs/setup-view";

export default async function LogSetupPage({ params }: { params: Promise<{ logId: string }> }) {
  const { logId } = await params;
  return <SetupView logId={logId} />;
}

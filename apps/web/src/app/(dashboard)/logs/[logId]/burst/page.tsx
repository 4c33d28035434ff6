import { BurstView } from "../../../../../logs/burst-view";

export default async function LogBurstPage({ params }: { params: Promise<{ logId: string }> }) {
  const { logId } = await params;
  return <BurstView logId={logId} />;
}

import { Suspense } from "react";
import { MessageDetails } from "../../../../../../messages/message-details";

export default async function MessagePage({
  params,
}: {
  params: Promise<{ logId: string; messageId: string }>;
}) {
  const { logId, messageId } = await params;
  return (
    <Suspense>
      <MessageDetails logId={logId} messageId={decodeURIComponent(messageId)} />
    </Suspense>
  );
}

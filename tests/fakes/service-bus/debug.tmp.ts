import { ServiceBusClient } from "@azure/service-bus";
import { startFakeServiceBus } from "./index";
const fake = await startFakeServiceBus({ topic: "t", subscriptions: ["s"], lockMs: 2000, maxDeliveries: 3 });
const client = new ServiceBusClient(fake.connectionString, { retryOptions: { maxRetries: 0, timeoutInMs: 3000 } });
const sender = client.createSender("t");
try {
  const b = await sender.createMessageBatch();
  console.log("batch max", b.maxSizeInBytes);
  b.tryAddMessage({ body: Buffer.from("hi"), messageId: "1", subject: "x" });
  await sender.sendMessages(b);
  console.log("sent", fake.stats);
  const r = client.createReceiver("t", "s", { skipParsingBodyAsJson: true });
  const got = await r.receiveMessages(5, { maxWaitTimeInMs: 1000 });
  console.log("got", got.map((m) => [m.messageId, m.deliveryCount, m.lockToken, m.enqueuedTimeUtc, m.lockedUntilUtc, m.body]));
  await r.completeMessage(got[0]!);
  console.log("completed");
} catch (e) { console.log("ERR", e); }
await client.close(); await fake.close();

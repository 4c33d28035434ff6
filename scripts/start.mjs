// `npm start`: runs the whole system on the embedded defaults (after turbo has built it).
import { startSystem } from "./system.mjs";

const env = process.env;
const dataDir = env.FAULTLINE_DATA_DIR || ".faultline";
const webPort = Number(env.FAULTLINE_WEB_PORT || 3000);
const ingestPort = Number(env.FAULTLINE_INGEST_PORT || 3100);

let system;
let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping every part…`);
  await system?.stop();
  process.exit(0);
}
process.on("SIGINT", () => shutdown("SIGINT"));
process.on("SIGTERM", () => shutdown("SIGTERM"));

try {
  system = await startSystem({ dataDir, webPort, ingestPort, supervise: true });
} catch (e) {
  console.error(`\nFaultline did not start: ${e.message}`);
  process.exit(1);
}

console.log(`
  Faultline is running (data in ${system.dataDir})

    web site   ${system.webUrl}          sign up there, create a log, follow its setup page
    ingest     ${system.ingestUrl}/v3/messages/{logId}   and Sentry DSNs ${system.ingestUrl}/{projectId}

  Operator command:  npm run faultline -- help
  Ctrl-C stops every part.
`);

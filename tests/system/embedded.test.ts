import { describePipeline } from "./pipeline-suite";

describePipeline("the embedded engines (SQLite bus, FTS5, folder archive, SQLite db)", async () => ({
  env: {},
  cleanup: async () => {},
}));

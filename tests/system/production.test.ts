import { productionEngines, productionEnginesSkipReason } from "../support/engines";
import { describePipeline } from "./pipeline-suite";

const skip = productionEnginesSkipReason();
if (skip && process.env.CI) throw new Error(`production system test cannot run in CI: ${skip}`);
if (skip) console.warn(`SKIPPED production system test: ${skip}`);

if (!skip) describePipeline("RabbitMQ + Elasticsearch + Azurite + PostgreSQL", productionEngines);

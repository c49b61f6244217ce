#!/usr/bin/env python3
# ci/github/local-runner.py: run the steps of a GitHub Actions workflow
# job or composite action on this machine, as the runner would: the same
# step order, env: blocks, ${{ }} expressions, GITHUB_OUTPUT, GITHUB_ENV
# and GITHUB_PATH files, bash -eo pipefail, secrets masked in the log.
# ci/run-pipeline.sh sets the environment and calls it; it needs only
# the Python standard library (its YAML reader covers what sbx's own
# workflow files use, and refuses the rest).
#
# usage: local-runner.py (--workflow FILE [--job NAME] | --action FILE)
#            --workspace DIR --work DIR [--source REPO] [--secret NAME]...
#            [--add FILE=PATH]...
# --source: the checkout step clones REPO at GITHUB_SHA into the
# workspace (else the workspace is used as it is); --add: then copies
# FILE to PATH in it, for files a real repository would have committed.
import argparse
import os
import re
import shutil
import subprocess
import sys


class Unsupported(Exception):
    pass


# ---- a reader for the subset of YAML that the workflow files use ----

def strip_comment(s):
    q = None
    for i, c in enumerate(s):
        if q:
            if c == q:
                q = None
        elif c in "'\"" and (i == 0 or s[i - 1] in " [,:"):
            q = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] == "'":
        return s[1:-1].replace("''", "'")
    if len(s) >= 2 and s[0] == s[-1] == '"':
        return bytes(s[1:-1], "utf-8").decode("unicode_escape")
    if s[:1] in "{&*!%@`":
        raise Unsupported("YAML feature not supported: %r" % s)
    return s


def scalar(s):
    s = s.strip()
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [unquote(x) for x in inner.split(",")] if inner else []
    return unquote(s)


def split_key(content):
    m = re.match(r"""^("[^"]*"|'[^']*'|[^'"\s][^:]*?)\s*:(\s+|$)(.*)$""",
                 content)
    if not m:
        return None
    return unquote(m.group(1)), m.group(3)


class Reader:
    def __init__(self, text):
        self.raw = text.split("\n")
        self.lines = []            # (indent, content, raw index)
        for n, line in enumerate(self.raw):
            if "\t" in line[:len(line) - len(line.lstrip())]:
                raise Unsupported("line %d: tab in indentation" % (n + 1))
            c = strip_comment(line)
            if c.strip():
                self.lines.append([len(c) - len(c.lstrip()), c.strip(), n])

    def parse(self):
        if not self.lines:
            return {}
        v, i = self.block(0, self.lines[0][0])
        if i != len(self.lines):
            raise Unsupported("line %d: unexpected indentation"
                              % (self.lines[i][2] + 1))
        return v

    def block(self, i, indent):
        if self.lines[i][1] == "-" or self.lines[i][1].startswith("- "):
            return self.seq(i, indent)
        return self.mapping(i, indent)

    def value(self, i, indent, rest, rawno):
        if rest in ("|", "|-", ">", ">-"):
            text, i = self.literal(i, indent, not rest.endswith("-"),
                                   rawno)
            return (fold(text) if rest[0] == ">" else text), i
        if rest and rest[0] in "|>":
            raise Unsupported("line %d: block scalar %s" % (rawno + 1,
                                                             rest))
        if rest != "":
            return scalar(rest), i
        if i < len(self.lines) and (self.lines[i][0] > indent or (
                self.lines[i][0] == indent and
                self.lines[i][1].startswith("-"))):
            return self.block(i, self.lines[i][0])
        return None, i

    def mapping(self, i, indent):
        out = {}
        while i < len(self.lines) and self.lines[i][0] == indent:
            ind, content, rawno = self.lines[i]
            if content.startswith("- ") or content == "-":
                break
            kv = split_key(content)
            if kv is None:
                raise Unsupported("line %d: not key: value" % (rawno + 1))
            key, rest = kv
            if key in out:
                raise Unsupported("line %d: duplicate key %s"
                                  % (rawno + 1, key))
            out[key], i = self.value(i + 1, indent, rest, rawno)
        return out, i

    def seq(self, i, indent):
        out = []
        while i < len(self.lines) and self.lines[i][0] == indent and (
                self.lines[i][1] == "-" or
                self.lines[i][1].startswith("- ")):
            content = self.lines[i][1][1:].lstrip()
            if content == "":
                v, i = self.value(i + 1, indent, "", self.lines[i][2])
            elif split_key(content) is not None:
                # "- key: value": a mapping at the item's column.
                col = indent + len(self.lines[i][1]) - len(content)
                self.lines[i] = [col, content, self.lines[i][2]]
                v, i = self.mapping(i, col)
            else:
                v, i = scalar(content), i + 1
            out.append(v)
        return out, i

    def literal(self, i, indent, keep_newline, rawno):
        start = rawno + 1
        end = start
        body = []
        while end < len(self.raw):
            line = self.raw[end]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
            end += 1
        while body and not body[-1].strip():
            body.pop()
        if body:
            cut = min(len(x) - len(x.lstrip()) for x in body if x.strip())
            body = [x[cut:] for x in body]
        text = "\n".join(body) + ("\n" if keep_newline and body else "")
        while i < len(self.lines) and self.lines[i][2] < start + len(body):
            i += 1
        return text, i


def fold(text):
    """A folded scalar: lines joined by spaces, blank lines kept."""
    end = "\n" if text.endswith("\n") else ""
    paras = [" ".join(p.split("\n")) for p in text.rstrip("\n").split("\n\n")]
    return "\n".join(paras) + end


def load(path):
    with open(path, encoding="utf-8") as f:
        return Reader(f.read()).parse()


# ---- expressions: lookups and == / != of literals, nothing more ----

class Context:
    def __init__(self, env, secrets, inputs):
        self.env = env
        self.secrets = secrets
        self.inputs = inputs
        self.outputs = {}

    def lookup(self, path):
        parts = path.split(".")
        e = os.environ
        head = parts[0]
        if head == "secrets" and len(parts) == 2:
            return self.secrets.get(parts[1], "")
        if head == "inputs" and len(parts) == 2:
            return self.inputs.get(parts[1].lower(), "")
        if head == "env" and len(parts) == 2:
            return self.env.get(parts[1], "")
        if head == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if head == "runner" and len(parts) == 2:
            return e.get("RUNNER_" + parts[1].upper(), "")
        if head == "github" and len(parts) == 2:
            return e.get("GITHUB_" + parts[1].upper(), "")
        raise Unsupported("expression not supported: %s" % path)

    def term(self, t):
        t = t.strip()
        if len(t) >= 2 and t[0] == t[-1] == "'":
            return t[1:-1].replace("''", "'")
        if t in ("true", "false"):
            return t
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*", t):
            return self.lookup(t)
        raise Unsupported("expression not supported: %s" % t)

    def eval(self, expr):
        m = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", expr.strip())
        if m:
            a = self.term(m.group(1)).lower()
            b = self.term(m.group(3)).lower()
            return "true" if (a == b) == (m.group(2) == "==") else "false"
        return self.term(expr)

    def subst(self, s):
        if s is None:
            return ""
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: self.eval(m.group(1)),
                      str(s))

    def condition(self, s):
        s = s.strip()
        if s.startswith("${{") and s.endswith("}}"):
            s = s[3:-2]
        return self.eval(s) not in ("", "false", "0")


# ---- the steps ----

def read_kv_file(path):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        m = re.fullmatch(r"([^=<]+)<<(.+)", line)
        if m:
            val = []
            while i < len(lines) and lines[i] != m.group(2):
                val.append(lines[i])
                i += 1
            i += 1
            out[m.group(1)] = "\n".join(val)
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
        else:
            raise Unsupported("malformed line in %s: %r" % (path, line))
    return out


class Runner:
    def __init__(self, args, ctx, base_env, secrets):
        self.args = args
        self.ctx = ctx
        self.env = base_env
        self.secret_values = [v for v in secrets.values() if v]
        self.paths = []
        self.n = 0
        self.raw = open(os.path.join(args.work, "raw.log"), "w")

    def mask(self, line):
        for v in self.secret_values:
            for part in v.split("\n"):
                if len(part.strip()) >= 4:
                    line = line.replace(part, "***")
        return line

    def log(self, line):
        self.raw.write(line + "\n")
        self.raw.flush()
        print(self.mask(line), flush=True)

    def step_env(self, step):
        env = dict(os.environ)
        env.update(self.env)
        for k, v in (step.get("env") or {}).items():
            env[k] = self.ctx.subst(v)
        if self.paths:
            env["PATH"] = ":".join(reversed(self.paths)) + ":" + env["PATH"]
        return env

    def files(self):
        names = {}
        for k in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH",
                  "GITHUB_STEP_SUMMARY"):
            names[k] = os.path.join(self.args.work, "files",
                                    "%s.%d" % (k.lower(), self.n))
            open(names[k], "w").close()
        return names

    def run_script(self, step, script):
        files = self.files()
        env = self.step_env(step)
        env.update(files)
        path = os.path.join(self.args.work, "files", "step.%d.sh" % self.n)
        with open(path, "w") as f:
            f.write(script)
        cwd = os.path.join(self.args.workspace,
                           step.get("working-directory", "."))
        p = subprocess.Popen(["bash", "--noprofile", "--norc", "-eo",
                              "pipefail", path], cwd=cwd, env=env,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             errors="replace")
        for line in p.stdout:
            self.log(line.rstrip("\n"))
        rc = p.wait()
        if step.get("id"):
            self.ctx.outputs[step["id"]] = read_kv_file(files["GITHUB_OUTPUT"])
        self.env.update(read_kv_file(files["GITHUB_ENV"]))
        with open(files["GITHUB_PATH"]) as f:
            self.paths += [x for x in f.read().split("\n") if x]
        return rc

    def checkout(self, step):
        ws = self.args.workspace
        if self.args.source is None:
            self.log("checkout: using the workspace as it is: " + ws)
        else:
            subprocess.run(["git", "clone", "--quiet", "--no-hardlinks",
                            self.args.source, ws], check=True)
            subprocess.run(["git", "-C", ws, "checkout", "--quiet",
                            "--detach", os.environ["GITHUB_SHA"]],
                           check=True)
            self.log("checkout: %s at %s" % (self.args.source,
                                             os.environ["GITHUB_SHA"]))
        for spec in self.args.add:
            src, dst = spec.split("=", 1)
            shutil.copy(src, os.path.join(ws, dst))
            self.log("checkout: added %s" % dst)
        return 0

    def upload(self, step):
        w = {k: self.ctx.subst(v) for k, v in (step.get("with") or {}).items()}
        dest = os.path.join(self.args.work, "artifacts", w["name"])
        os.makedirs(dest, exist_ok=True)
        n = 0
        for p in [x.strip() for x in w.get("path", "").split("\n")]:
            if not p:
                continue
            src = os.path.join(self.args.workspace, p)
            if os.path.isfile(src):
                shutil.copy2(src, dest)
                n += 1
                self.log("upload: %s -> %s" % (p, dest))
            elif w.get("if-no-files-found", "warn") == "error":
                self.log("upload: %s: no such file" % p)
                return 1
        return 0 if n else (1 if w.get("if-no-files-found") == "error"
                            else 0)

    def step(self, step):
        self.n += 1
        name = step_name(step)
        if "if" in step and not self.ctx.condition(step["if"]):
            self.log("== skipped: " + name)
            return 0
        self.log("== " + name)
        uses = step.get("uses")
        if uses is None:
            return self.run_script(step, self.ctx.subst(step["run"]))
        if uses.startswith("actions/checkout@"):
            return self.checkout(step)
        return self.upload(step)


EMULATED = (r"actions/checkout@v\d+", r"actions/upload-artifact@v\d+")


def step_name(step):
    return step.get("name") or step.get("uses") or "run"


def check_steps(steps):
    """Refuse what cannot be emulated before the first step runs."""
    for step in steps:
        name = step_name(step)
        uses = step.get("uses")
        if uses is not None and "run" in step:
            raise Unsupported("step %s: both uses and run" % name)
        if uses is None and "run" not in step:
            raise Unsupported("step %s: neither uses nor run" % name)
        if uses is not None and not any(re.fullmatch(p, uses)
                                        for p in EMULATED):
            raise Unsupported("step %s: cannot emulate %s" % (name, uses))
        if uses is None and step.get("shell", "bash") != "bash":
            raise Unsupported("step %s: shell %s: only bash is emulated"
                              % (name, step["shell"]))


def plan(args):
    doc = load(args.workflow or args.action)
    secrets = {k: os.environ.get(k, "") for k in args.secret}
    if args.workflow:
        jobs = doc.get("jobs") or {}
        name = args.job or (list(jobs)[0] if len(jobs) == 1 else None)
        if name not in jobs:
            raise Unsupported("name the job with --job: %s" % list(jobs))
        job = jobs[name]
        env = dict(doc.get("env") or {})
        env.update(job.get("env") or {})
        return job["steps"], env, secrets, {}
    runs = doc.get("runs") or {}
    if runs.get("using") != "composite":
        raise Unsupported("only composite actions are emulated")
    inputs = {}
    for k, spec in (doc.get("inputs") or {}).items():
        v = os.environ.get("INPUT_" + k.upper().replace("-", "_"))
        if v is None:
            v = (spec or {}).get("default", "")
        if v == "" and (spec or {}).get("required") == "true":
            raise Unsupported("input %s is required (INPUT_%s)"
                              % (k, k.upper().replace("-", "_")))
        inputs[k.lower()] = v
    # Inputs that carry secrets are masked as secrets are.
    for k in ("key", "passphrase"):
        if inputs.get(k):
            secrets["input:" + k] = inputs[k]
    return runs["steps"], {}, secrets, inputs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workflow")
    ap.add_argument("--action")
    ap.add_argument("--job")
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--source")
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--add", action="append", default=[])
    ap.add_argument("--print", action="store_true",
                    help="print the parsed file as JSON and stop")
    args = ap.parse_args()
    if bool(args.workflow) == bool(args.action):
        ap.error("give --workflow or --action")
    try:
        if args.print:
            import json
            json.dump(load(args.workflow or args.action), sys.stdout,
                      indent=1, sort_keys=True)
            print()
            return 0
        steps, env, secrets, inputs = plan(args)
        check_steps(steps)
        os.makedirs(os.path.join(args.work, "files"), exist_ok=True)
        ctx = Context(env, secrets, inputs)
        for k, v in list(env.items()):
            env[k] = ctx.subst(v)
        r = Runner(args, ctx, env, secrets)
        for step in steps:
            rc = r.step(step)
            if rc != 0:
                r.log("== failed (exit %d): %s" % (rc, step.get("name")))
                return rc
        r.log("== done: %d steps" % len(steps))
        return 0
    except Unsupported as e:
        print("local-runner: %s" % e, file=sys.stderr)
        return 2


sys.exit(main())

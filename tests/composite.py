"""Run a composite action's own steps the way GitHub's runner does, for the
steps that can run here: each ``run:`` script as written in action.yml,
with ``bash --noprofile --norc -eo pipefail``, the step's ``env:`` (its
``${{ }}`` expressions evaluated), ``if:`` conditions, and the runner's
files (``GITHUB_OUTPUT`` per step, ``GITHUB_ENV``, ``GITHUB_PATH``,
``GITHUB_STEP_SUMMARY``). A ``uses:`` step (a JavaScript action) and the
steps a test names cannot run here: they are skipped with the reason, and
their outputs are empty, as a skipped step's are on GitHub.

The expression language is the part the Action uses: context paths
(``inputs.x``, ``steps.id.outputs.y``, ``github.event.pull_request.number``,
``runner.temp``), string literals, ``==``/``!=`` (case-insensitive, as on
GitHub), ``!``, ``&&``, ``||``, parentheses, ``always()``, ``success()``,
``failure()``; anything else is an error of this module, never a silent
guess."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(&&|\|\||==|!=|!|\(|\))|([A-Za-z_][\w.-]*\(\))|([A-Za-z_][\w.-]*))")


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, i, text = [], 0, text.strip()
    while i < len(text):
        m = TOKEN.match(text, i)
        if not m or m.end() == i:
            raise ExpressionError(f"cannot read {text[i:]!r} in {text!r}")
        s, op, call, ident = m.groups()
        out.append(
            ("str", s[1:-1].replace("''", "'"))
            if s
            else ("op", op)
            if op
            else ("call", call)
            if call
            else ("id", ident)
        )
        i = m.end()
    return out


@dataclass
class Context:
    values: dict[str, Any]  # inputs, github, runner, env, steps
    failed: bool = False

    def lookup(self, path: str) -> Any:
        cur: Any = self.values
        for part in path.split("."):
            if not isinstance(cur, dict):
                return ""
            cur = cur.get(part, "")
        return cur

    def evaluate(self, text: str) -> Any:
        toks = _tokens(text)
        pos = 0

        def peek() -> tuple[str, str] | None:
            return toks[pos] if pos < len(toks) else None

        def take() -> tuple[str, str]:
            nonlocal pos
            pos += 1
            return toks[pos - 1]

        def primary() -> Any:
            kind, v = take()
            if kind == "str":
                return v
            if kind == "call":
                calls = {"always()": True, "success()": not self.failed, "failure()": self.failed}
                if v not in calls:
                    raise ExpressionError(f"function {v} is not supported here")
                return calls[v]
            if kind == "id":
                if v in ("true", "false"):
                    return v == "true"
                return self.lookup(v)
            if (kind, v) == ("op", "("):
                value = either()
                if take() != ("op", ")"):
                    raise ExpressionError(f"unbalanced parentheses in {text!r}")
                return value
            if (kind, v) == ("op", "!"):
                return not truthy(primary())
            raise ExpressionError(f"unexpected {v!r} in {text!r}")

        def equality() -> Any:
            left = primary()
            while peek() in (("op", "=="), ("op", "!=")):
                op = take()[1]
                right = primary()
                same = _text(left).lower() == _text(right).lower()
                left = same if op == "==" else not same
            return left

        def both() -> Any:
            left = equality()
            while peek() == ("op", "&&"):
                take()
                right = equality()
                left = right if truthy(left) else left
            return left

        def either() -> Any:
            left = both()
            while peek() == ("op", "||"):
                take()
                right = both()
                left = left if truthy(left) else right
            return left

        value = either()
        if pos != len(toks):
            raise ExpressionError(f"unexpected {toks[pos][1]!r} in {text!r}")
        return value

    def substitute(self, text: Any) -> str:
        return EXPR.sub(lambda m: _text(self.evaluate(m.group(1))), str(text))

    def condition(self, text: str | None) -> bool:
        if text is None:
            return not self.failed
        text = str(text).strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        status = re.search(r"\b(always|success|failure|cancelled)\(\)", text)
        value = truthy(self.evaluate(text))
        return value if status else value and not self.failed


def truthy(v: Any) -> bool:
    return bool(v) if not isinstance(v, str) else v != ""


def _text(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


@dataclass
class Step:
    id: str
    name: str
    outcome: str  # success, failure, skipped
    reason: str = ""
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


def read_outputs(path: Path) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads them."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


class Composite:
    """One job's run of the composite in ``action_dir``: call :meth:`run`
    (several times: the steps' outputs and the runner's files carry over)."""

    def __init__(
        self,
        action_dir: Path,
        workspace: Path,
        temp: Path,
        *,
        inputs: dict[str, str],
        github: dict[str, Any],
        env: dict[str, str] | None = None,
    ) -> None:
        self.action = yaml.safe_load((action_dir / "action.yml").read_text())
        assert self.action["runs"]["using"] == "composite"
        self.action_dir, self.workspace, self.temp = action_dir, workspace, temp
        self.summary = temp / "step-summary.md"
        self.github_env = temp / "github-env"
        self.github_path = temp / "github-path"
        for f in (self.summary, self.github_env, self.github_path):
            f.touch()
        self.extra_env = env or {}
        self.ctx = Context({"github": github, "runner": {"temp": str(temp)}, "steps": {}, "env": {}})
        declared = self.action.get("inputs", {})
        unknown = set(inputs) - set(declared)
        assert not unknown, f"inputs the action does not declare: {unknown}"
        self.ctx.values["inputs"] = {
            k: inputs[k] if k in inputs else self.ctx.substitute(v.get("default", "")) for k, v in declared.items()
        }

    def steps(self) -> list[dict[str, Any]]:
        return list(self.action["runs"]["steps"])

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "VIRTUAL_ENV"))}
        env.update(self.extra_env)
        env.update(read_outputs(self.github_env))
        paths = [p for p in self.github_path.read_text().splitlines() if p]
        env["PATH"] = os.pathsep.join([*reversed(paths), env.get("PATH", "")])
        github = self.ctx.values["github"]
        env.update(
            GITHUB_ACTION_PATH=str(self.action_dir),
            GITHUB_WORKSPACE=str(self.workspace),
            RUNNER_TEMP=str(self.temp),
            GITHUB_STEP_SUMMARY=str(self.summary),
            GITHUB_ENV=str(self.github_env),
            GITHUB_PATH=str(self.github_path),
            GITHUB_REPOSITORY=str(github.get("repository", "")),
            GITHUB_BASE_REF=str(github.get("base_ref", "")),
            CI="true",
        )
        return env

    def run(self, *, only: list[str] | None = None, cannot_run: dict[str, str] | None = None) -> list[Step]:
        """Run the steps in order (or the ones whose id or name is in ``only``);
        ``cannot_run`` maps a step's id or name to why it cannot run here."""
        cannot_run = cannot_run or {}
        done: list[Step] = []
        for n, spec in enumerate(self.steps()):
            sid = spec.get("id", f"__{n}")
            name = spec.get("name", sid)
            if only is not None and sid not in only and name not in only:
                continue
            step = self._step(sid, name, spec, cannot_run.get(sid) or cannot_run.get(name))
            self.ctx.values["steps"][sid] = {"outputs": step.outputs, "outcome": step.outcome}
            if step.outcome == "failure" and not spec.get("continue-on-error"):
                self.ctx.failed = True
            done.append(step)
        return done

    def _step(self, sid: str, name: str, spec: dict[str, Any], why_not: str | None) -> Step:
        if not self.ctx.condition(spec.get("if")):
            return Step(sid, name, "skipped", f"if: {spec.get('if')} is false")
        if why_not:
            return Step(sid, name, "skipped", why_not)
        if "uses" in spec:
            return Step(sid, name, "skipped", f"uses: {spec['uses']}: a JavaScript action, not runnable here")
        assert spec.get("shell") == "bash", f"step {name}: shell {spec.get('shell')!r}"
        env = self.base_env()
        env.update({k: self.ctx.substitute(v) for k, v in (spec.get("env") or {}).items()})
        output = self.temp / f"output-{sid}"
        output.write_text("")
        env["GITHUB_OUTPUT"] = str(output)
        script = self.temp / f"step-{sid}.sh"
        script.write_text(self.ctx.substitute(spec["run"]))
        r = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        return Step(
            sid,
            name,
            "success" if r.returncode == 0 else "failure",
            f"exit {r.returncode}",
            r.stdout,
            r.stderr,
            read_outputs(output),
        )

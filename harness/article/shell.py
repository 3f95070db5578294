"""Shell blocks -> the manifests they pipe into kubectl, and the commands
that make objects.

A small scanner of the shell a documentation page shows (no shell is run):
words with their quoting undone (``'...'``, ``"..."`` with ``\\"``,
``\\$``, ``\\\\`` and line continuations, ``$'...'``), comments, the
operators ``| || && ; &``, redirections, and here-documents of any delimiter,
quoted or not (``<<EOF``, ``<<'EOF'``, ``<<"EOF"``, ``<<-EOF`` stripping
leading tabs). A console transcript (lines starting ``$ ``) is read as
commands after the prompt, continuation lines (``> ``) joined, the output
lines between them skipped. Expansions (``$VAR``, ``$(...)``, backquotes)
are left as written: the page's reader would fill them in, the harness
cannot.

:func:`scan` returns, for one block, the manifests fed to ``kubectl
apply|create|replace -f -`` (by ``echo``/``printf``, ``cat <<EOF |``, ``kubectl
... <<EOF``, ``<<<``, or a file an earlier heredoc/echo wrote and ``kubectl
apply -f FILE`` applies), each with the article line of every line of its
text, and every other kubectl command that changes the cluster (for the
commands that make objects, :mod:`.commands` turns them into objects). A
block whose quoting does not close, or whose heredoc has no end delimiter,
gives a :class:`ShellProblem` with its line; the rest of the block is still
read where it can be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SHELL_TAGS = frozenset(
    {"bash", "sh", "shell", "console", "shell-session", "shellsession", "zsh", "terminal", "ksh", "session"}
)
KUBECTL = ("kubectl", "oc")
APPLY_VERBS = ("apply", "create", "replace")
# kubectl verbs that change the cluster; the others (get, describe, wait, logs, ...) only read
CHANGING_VERBS = frozenset(
    {"apply", "create", "replace", "patch", "expose", "run", "annotate", "label", "set", "scale", "edit", "delete"}
)
# kubectl's global flags that take a value (so the verb is found after them)
_GLOBAL_VALUE_FLAGS = frozenset(
    {"-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token", "--as"}
)
PASSTHROUGH = frozenset({"tee", "envsubst"})  # filters a manifest may go through on its way to kubectl


# --------------------------------------------------------------------------
# what the scanner finds
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A string the shell produced, with the article line of each of its lines."""

    value: str
    lines: tuple[int, ...]

    def line_of(self, index: int) -> int:
        """The article line of line ``index`` (0-based) of the value."""
        if not self.lines:
            return 0
        return self.lines[min(index, len(self.lines) - 1)]


@dataclass
class Word:
    text: Text
    raw: str
    line: int
    quoted: bool = False
    expands: bool = False  # holds $..., `...` the shell would expand (left as written)

    @property
    def value(self) -> str:
        return self.text.value


@dataclass
class Heredoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool
    line: int  # the line of the << operator
    body: Text | None = None  # None: no end delimiter


@dataclass
class Redirect:
    op: str  # <<, <<-, <<<, <, >, >>
    target: Word | None = None
    heredoc: Heredoc | None = None


@dataclass
class Command:
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    line: int = 0

    @property
    def argv(self) -> list[str]:
        return [w.value for w in self.words]

    def source(self) -> str:
        """The command as written (its words' raw text, redirections shown)."""
        parts = [w.raw for w in self.words]
        for r in self.redirects:
            if r.heredoc is not None:
                parts.append(f"{r.op}{r.heredoc.delimiter}")
            elif r.target is not None:
                parts.append(f"{r.op} {r.target.raw}")
        return " ".join(parts)


@dataclass
class Pipeline:
    commands: list[Command]
    line: int


HEREDOC = "heredoc"
ECHO = "echo"
PRINTF = "printf"
FILE = "file"  # written by a heredoc/echo to a file, then applied by name


@dataclass
class Manifest:
    """YAML a block feeds to kubectl (or writes to a file)."""

    text: Text
    via: str  # HEREDOC, ECHO, PRINTF, FILE
    command: str  # the kubectl command (or the redirection) that takes it
    line: int  # the line of the command
    expands: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class KubectlCommand:
    """A kubectl command that changes the cluster and is not a manifest from stdin."""

    argv: list[str]
    line: int
    source: str


@dataclass
class ShellProblem:
    line: int
    message: str


@dataclass
class ScanResult:
    manifests: list[Manifest] = field(default_factory=list)
    commands: list[KubectlCommand] = field(default_factory=list)
    problems: list[ShellProblem] = field(default_factory=list)


class ShellSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


# --------------------------------------------------------------------------
# the scanner
# --------------------------------------------------------------------------

_PROMPT = re.compile(r"^(?:[\w.-]+@[\w.-]+(?::[^\s$]*)?\s*)?\$ ")  # "$ cmd", "user@host:~$ cmd"
_OPERATORS = ("<<<", "<<-", "&&", "||", ";;", ">>", "<<", ">&", "<&", "|", "&", ";", "<", ">", "(", ")")


class _Lines:
    """The block's lines (text, article line) and a cursor; in a console
    transcript continuation lines lose their ``> `` prompt."""

    def __init__(self, lines: list[tuple[str, int]], console: bool) -> None:
        self.lines = lines
        self.console = console
        self.i = 0

    def done(self) -> bool:
        return self.i >= len(self.lines)

    def take(self, continuation: bool = False) -> tuple[str, int] | None:
        if self.i >= len(self.lines):
            return None
        text, number = self.lines[self.i]
        self.i += 1
        if self.console and continuation and (text.startswith("> ") or text == ">"):
            text = text[2:]
        return text, number


class _Parser:
    """Parses one logical command line (taking more lines while a quote,
    heredoc, continuation or pipe is open) into pipelines."""

    def __init__(self, src: _Lines) -> None:
        self.src = src

    def parse(self, first: tuple[str, int]) -> list[Pipeline]:
        self.s, self.n = first
        self.pos = 0
        pipelines: list[Pipeline] = []
        cmd = Command(line=self.n)
        pipe: list[Command] = []
        pending: list[Heredoc] = []
        need_more = False
        while True:
            self._skip_blanks()
            if self.pos >= len(self.s):
                # end of a physical line
                if pending:
                    self._read_heredocs(pending)
                    pending = []
                if need_more:
                    nxt = self.src.take(continuation=True)
                    if nxt is None:
                        break
                    self.s, self.n = nxt
                    self.pos = 0
                    continue
                break
            c = self.s[self.pos]
            if c == "#" and (self.pos == 0 or self.s[self.pos - 1] in " \t;|&()"):
                self.pos = len(self.s)
                continue
            if c == "\\" and self.pos == len(self.s) - 1:
                nxt = self.src.take(continuation=True)
                if nxt is None:
                    break
                self.s, self.n = nxt
                self.pos = 0
                continue
            op = self._operator()
            if op is not None:
                need_more = False
                if op in ("<<", "<<-"):
                    delim = self._word()
                    if delim is None:
                        raise ShellSyntaxError(self.n, f"{op} without a delimiter word")
                    hd = Heredoc(delim.value, delim.quoted, op == "<<-", self.n)
                    cmd.redirects.append(Redirect(op, delim, hd))
                    pending.append(hd)
                elif op in ("<<<", "<", ">", ">>", ">&", "<&"):
                    if op in (">", ">>", "<", ">&", "<&") and cmd.words and re.fullmatch(r"\d", cmd.words[-1].raw):
                        cmd.words.pop()  # 2>file: the fd number belongs to the redirection
                    target = self._word()
                    cmd.redirects.append(Redirect(op, target))
                elif op == "|":
                    pipe.append(cmd)
                    cmd = Command(line=self.n)
                    need_more = True
                elif op in ("&&", "||", ";", "&", ";;"):
                    pipe.append(cmd)
                    pipelines.append(Pipeline([c for c in pipe if c.words or c.redirects], pipe[0].line))
                    pipe = []
                    cmd = Command(line=self.n)
                    need_more = op in ("&&", "||")
                # ( ) subshell parentheses are ignored
                continue
            w = self._word()
            if w is not None:
                if not cmd.words and not cmd.redirects:
                    cmd.line = w.line
                cmd.words.append(w)
                need_more = False
        pipe.append(cmd)
        pipelines.append(Pipeline([c for c in pipe if c.words or c.redirects], pipe[0].line))
        return [p for p in pipelines if p.commands]

    def _skip_blanks(self) -> None:
        while self.pos < len(self.s) and self.s[self.pos] in " \t":
            self.pos += 1

    def _operator(self) -> str | None:
        for op in _OPERATORS:
            if self.s.startswith(op, self.pos):
                self.pos += len(op)
                return op
        return None

    def _next_line(self, opened: int, what: str) -> None:
        nxt = self.src.take(continuation=True)
        if nxt is None:
            raise ShellSyntaxError(opened, f"the {what} opened at line {opened} does not close")
        self.s, self.n = nxt
        self.pos = 0

    def _word(self) -> Word | None:
        """One shell word from the cursor, quoting undone; None at an operator or the end."""
        self._skip_blanks()
        start_line = self.n
        raw: list[str] = []
        value: list[str] = []
        lines: list[int] = [self.n]
        quoted = expands = False
        started = False
        while self.pos < len(self.s):
            c = self.s[self.pos]
            if c in " \t" or (c in "|&;<>()" and not self.s.startswith("$(", self.pos)):
                break
            started = True
            if c == "\\":
                if self.pos + 1 < len(self.s):
                    raw.append(self.s[self.pos : self.pos + 2])
                    value.append(self.s[self.pos + 1])
                    self.pos += 2
                else:  # continuation inside a word
                    raw.append("\\")
                    self._next_line(start_line, "line continuation")
                continue
            if c == "'":
                quoted = True
                opened = self.n
                self.pos += 1
                raw.append("'")
                while True:
                    end = self.s.find("'", self.pos)
                    if end >= 0:
                        value.append(self.s[self.pos : end])
                        raw.append(self.s[self.pos : end + 1])
                        self.pos = end + 1
                        break
                    value.append(self.s[self.pos :] + "\n")
                    raw.append(self.s[self.pos :] + "\n")
                    self._next_line(opened, "single quote (')")
                    lines.append(self.n)
                continue
            if c == '"':
                quoted = True
                opened = self.n
                self.pos += 1
                raw.append('"')
                while True:
                    if self.pos >= len(self.s):
                        value.append("\n")
                        raw.append("\n")
                        self._next_line(opened, 'double quote (")')
                        lines.append(self.n)
                        continue
                    ch = self.s[self.pos]
                    if ch == '"':
                        raw.append('"')
                        self.pos += 1
                        break
                    if ch == "\\":
                        if self.pos + 1 >= len(self.s):  # \ newline: removed
                            raw.append("\\\n")
                            self._next_line(opened, 'double quote (")')
                            continue  # the value's line goes on: it keeps the line it started on
                        nxt = self.s[self.pos + 1]
                        raw.append(ch + nxt)
                        value.append(nxt if nxt in '$`"\\' else ch + nxt)
                        self.pos += 2
                        continue
                    if ch in "$`":
                        expands = True
                    raw.append(ch)
                    value.append(ch)
                    self.pos += 1
                continue
            if c == "$" and self.s.startswith("$'", self.pos):
                quoted = True
                self.pos += 2
                end = self.pos
                out: list[str] = []
                while end < len(self.s) and self.s[end] != "'":
                    if self.s[end] == "\\" and end + 1 < len(self.s):
                        out.append(_C_ESCAPES.get(self.s[end + 1], "\\" + self.s[end + 1]))
                        end += 2
                        continue
                    out.append(self.s[end])
                    end += 1
                if end >= len(self.s):
                    raise ShellSyntaxError(self.n, f"the $' quote opened at line {self.n} does not close")
                raw.append(self.s[self.pos - 2 : end + 1])
                value.append("".join(out))
                for ch in "".join(out):
                    if ch == "\n":
                        lines.append(self.n)
                self.pos = end + 1
                continue
            if c in "$`":
                expands = True
                if self.s.startswith("$(", self.pos):
                    end = _matching_paren(self.s, self.pos + 1)
                    if end < 0:
                        raise ShellSyntaxError(self.n, f"the $( opened at line {self.n} does not close")
                    raw.append(self.s[self.pos : end + 1])
                    value.append(self.s[self.pos : end + 1])
                    self.pos = end + 1
                    continue
            raw.append(c)
            value.append(c)
            self.pos += 1
        if not started:
            return None
        text = "".join(value)
        return Word(Text(text, tuple(_line_numbers(text, lines))), "".join(raw), start_line, quoted, expands)

    def _read_heredocs(self, pending: list[Heredoc]) -> None:
        for hd in pending:
            body: list[str] = []
            numbers: list[int] = []
            while True:
                nxt = self.src.take()
                if nxt is None:
                    raise ShellSyntaxError(
                        hd.line, f"the heredoc opened at line {hd.line} has no end delimiter {hd.delimiter}"
                    )
                text, number = nxt
                check = text.lstrip("\t") if hd.strip_tabs else text
                if check == hd.delimiter or (self.src.console and check.rstrip() == hd.delimiter):
                    break
                if self.src.console and (text.startswith("> ") or text == ">"):
                    text = text[2:]
                    check = text.lstrip("\t") if hd.strip_tabs else text
                    if check == hd.delimiter:
                        break
                body.append(text.lstrip("\t") if hd.strip_tabs else text)
                numbers.append(number)
            value = "\n".join(body) + ("\n" if body else "")
            if not hd.quoted:
                value, numbers = _unquoted_heredoc(body, numbers)
            hd.body = Text(value, tuple(numbers))


_C_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r", "a": "\a", "0": "\0"}


def _matching_paren(s: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(s)):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _line_numbers(text: str, lines: list[int]) -> list[int]:
    """One article line per line of ``text``: the lines the word's newlines came from."""
    count = text.count("\n") + 1
    if len(lines) >= count:
        return lines[:count]
    return lines + [lines[-1]] * (count - len(lines))


def _unquoted_heredoc(body: list[str], numbers: list[int]) -> tuple[str, list[int]]:
    """An unquoted heredoc's body as the shell hands it on: ``\\$``, ``\\```,
    ``\\\\`` unescaped, ``\\``-newline joined; expansions left as written."""
    out: list[str] = []
    nums: list[int] = []
    carry = ""
    carry_line = 0
    for text, number in zip(body, numbers, strict=True):
        line = carry + text
        n = carry_line or number
        if line.endswith("\\") and not line.endswith("\\\\"):
            carry, carry_line = line[:-1], n
            continue
        carry, carry_line = "", 0
        out.append(re.sub(r"\\([$`\\])", r"\1", line))
        nums.append(n)
    if carry:
        out.append(re.sub(r"\\([$`\\])", r"\1", carry))
        nums.append(carry_line)
    return ("\n".join(out) + ("\n" if out else "")), nums


def _console(lines: list[tuple[str, int]]) -> bool:
    return any(_PROMPT.match(t) for t, _ in lines)


def parse_block(lines: list[tuple[str, int]]) -> tuple[list[Pipeline], list[ShellProblem]]:
    """Every pipeline of a block (``lines``: text and article line), and the
    problems that stopped a command from being read."""
    console = _console(lines)
    src = _Lines(lines, console)
    parser = _Parser(src)
    out: list[Pipeline] = []
    problems: list[ShellProblem] = []
    while not src.done():
        taken = src.take()
        assert taken is not None
        text, number = taken
        if console:
            m = _PROMPT.match(text)
            if not m:
                continue  # output of the previous command
            text = text[m.end() :]
        if not text.strip():
            continue
        try:
            out.extend(parser.parse((text, number)))
        except ShellSyntaxError as exc:
            problems.append(ShellProblem(exc.line, f"shell: {exc.message}"))
            # go on after the line that broke: the rest of the block may still be read
            src.i = max(src.i, _index_after(lines, exc.line))
    return out, problems


def _index_after(lines: list[tuple[str, int]], line: int) -> int:
    for i, (_, n) in enumerate(lines):
        if n > line:
            return i
    return len(lines)


# --------------------------------------------------------------------------
# manifests fed to kubectl
# --------------------------------------------------------------------------


def kubectl_verb(argv: list[str]) -> tuple[int, str] | None:
    """(index of the verb, the verb) when ``argv`` runs kubectl; None otherwise."""
    i = 0
    while i < len(argv) and argv[i] in ("sudo", "command", "time", "exec"):
        i += 1
    rest = argv[i:]
    if rest[:2] == ["minikube", "kubectl"]:
        j = i + 2 + (1 if argv[i + 2 : i + 3] == ["--"] else 0)
    elif len(rest) >= 2 and rest[0] in ("microk8s", "k3s", "k0s") and rest[1] == "kubectl":
        j = i + 2
    elif rest and rest[0].rsplit("/", 1)[-1] in KUBECTL:
        j = i + 1
    else:
        return None
    while j < len(argv):
        a = argv[j]
        if a in _GLOBAL_VALUE_FLAGS:
            j += 2
            continue
        if a.startswith("-"):
            j += 1
            continue
        return j, a
    return None


def _filenames(args: list[str]) -> list[str]:
    out = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-f", "--filename") and i + 1 < len(args):
            out.append(args[i + 1])
            i += 2
            continue
        if a.startswith("--filename="):
            out.append(a.split("=", 1)[1])
        elif a.startswith("-f") and len(a) > 2 and not a.startswith("--"):
            out.append(a[2:].lstrip("="))
        i += 1
    return out


def _stdin_of(cmd: Command) -> Text | None:
    """What a command's own redirections feed its stdin (heredoc, <<<)."""
    for r in cmd.redirects:
        if r.heredoc is not None and r.heredoc.body is not None:
            return r.heredoc.body
        if r.op == "<<<" and r.target is not None:
            value = r.target.value + "\n"
            return Text(value, tuple(_line_numbers(value, list(r.target.text.lines))))
    return None


def _writes(cmd: Command) -> str | None:
    for r in cmd.redirects:
        if r.op in (">", ">>") and r.target is not None:
            return r.target.value
    return None


def _output(cmd: Command) -> tuple[Text, str, bool] | None:
    """What ``cmd`` writes to stdout when it is a producer of text: ``cat``
    with a heredoc, ``echo``, ``printf`` (and the way: HEREDOC/ECHO/PRINTF)."""
    argv = cmd.argv
    if not argv:
        return None
    name = argv[0]
    if name == "cat" and len(argv) == 1:
        body = _stdin_of(cmd)
        return (body, HEREDOC, False) if body is not None else None
    if name == "echo":
        args = cmd.words[1:]
        interpret = False
        newline = True
        while args and re.fullmatch(r"-[neE]+", args[0].value):
            interpret = interpret or "e" in args[0].value
            newline = newline and "n" not in args[0].value
            args = args[1:]
        if not args:
            return None
        text = _join(args)
        value = _escapes(text.value) if interpret else text.value
        return Text(value + ("\n" if newline else ""), text.lines), ECHO, any(w.expands for w in args)
    if name == "printf" and len(argv) >= 2:
        fmt, rest = cmd.words[1], cmd.words[2:]
        formatted = _printf(fmt.value, [w.value for w in rest])
        if formatted is None:
            return None
        lines = fmt.text.lines if not rest else _join(rest).lines
        return Text(formatted, lines), PRINTF, any(w.expands for w in cmd.words[1:])
    return None


def _join(words: list[Word]) -> Text:
    """Words joined by spaces, as echo prints them: each word's first line goes on the line before."""
    value = " ".join(w.value for w in words)
    lines: list[int] = list(words[0].text.lines)
    for w in words[1:]:
        lines.extend(w.text.lines[1:])
    return Text(value, tuple(_line_numbers(value, lines)))


def _escapes(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: _C_ESCAPES.get(m.group(1), "\\" + m.group(1)), s)


def _printf(fmt: str, args: list[str]) -> str | None:
    """printf's output for the conversions a page uses (%s, %b, %%); None for others."""
    out: list[str] = []
    it = iter(args)
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            conv = fmt[i + 1]
            if conv == "%":
                out.append("%")
            elif conv == "s":
                out.append(next(it, ""))
            elif conv == "b":
                out.append(_escapes(next(it, "")))
            else:
                return None
            i += 2
            continue
        if c == "\\" and i + 1 < len(fmt):
            out.append(_C_ESCAPES.get(fmt[i + 1], "\\" + fmt[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def scan(lines: list[tuple[str, int]], files: dict[str, Manifest] | None = None) -> ScanResult:
    """The manifests and kubectl commands of one shell block. ``files``
    (shared across the blocks of one article) holds what earlier blocks
    wrote to files, for ``kubectl apply -f FILE``."""
    files = {} if files is None else files
    pipelines, problems = parse_block(lines)
    out = ScanResult(problems=problems)
    for p in pipelines:
        _pipeline(p, files, out)
    return out


def _pipeline(p: Pipeline, files: dict[str, Manifest], out: ScanResult) -> None:
    produced: tuple[Text, str, bool] | None = None
    notes: list[str] = []
    for n, cmd in enumerate(p.commands):
        argv = cmd.argv
        kv = kubectl_verb(argv)
        if kv is not None:
            index, verb = kv
            args = argv[index + 1 :]
            names = _filenames(args)
            if verb in APPLY_VERBS and names:
                fed = _stdin_of(cmd)
                via = HEREDOC
                expands = False
                if fed is None and produced is not None and n > 0:
                    fed, via, expands = produced
                if fed is None and any(r.op == "<" for r in cmd.redirects):
                    src = next(r.target.value for r in cmd.redirects if r.op == "<" and r.target is not None)
                    if src in files:
                        fed, via = files[src].text, FILE
                for name in names:
                    if name in ("-", "/dev/stdin") and fed is not None:
                        out.manifests.append(Manifest(fed, via, cmd.source(), cmd.line, expands, list(notes)))
                    elif name in files:
                        m = files[name]
                        out.manifests.append(
                            Manifest(m.text, FILE, cmd.source(), cmd.line, m.expands, [*m.notes, m.command])
                        )
                    else:
                        out.commands.append(KubectlCommand(argv, cmd.line, cmd.source()))
                        break
            elif verb in CHANGING_VERBS:
                out.commands.append(KubectlCommand(argv, cmd.line, cmd.source()))
            produced = None
            continue
        made = _output(cmd)
        target = _writes(cmd)
        if made is not None and target is not None:
            # cat > FILE <<EOF / echo ... > FILE: applied when a kubectl -f FILE names it
            files[target] = Manifest(made[0], made[1], f"{cmd.source()}", cmd.line, made[2])
            produced = None
            continue
        if made is not None:
            produced = made
            continue
        if produced is not None and argv and argv[0] in PASSTHROUGH:
            if argv[0] == "envsubst":
                notes.append("passed through envsubst: variables left as written")
            continue
        produced = None

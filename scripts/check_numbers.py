"""Every measured number in a chapter's prose is printed by the chapter, cited, or derived.

A chapter's prose quotes its own results ("test accuracy 0.805 after 10 epochs"). When a
run is redone and the outputs change, such a number silently goes stale. This check reads
each notebook and, for every number in its Markdown cells that looks measured (it has a
decimal point, a percent sign, or four or more digits), accepts it when

1. it appears in the notebook's outputs or code (``0.805`` in ``test acc 0.805``; ``80.5%``
   in ``0.805``; ``5,977,530`` in ``5977530``), or
2. its sentence cites a source (``{cite}`...```), or
3. it follows "about" (or around, roughly, nearly, ~) and rounds a printed number to the
   figures written ("about 11,700" for 11,694.2), or
4. it is marked in ``book/numbers.toml`` under its chapter: with a ``formula`` of printed
   numbers that the check evaluates ("97%" = "2,097,664 / 2,159,114"), or with a
   ``chapter`` that prints it (DenseNet's chapter quoting ResNet-18's results), or with a
   ``reason`` alone where it is a definition or a choice, not a measurement. Every mark
   has a ``reason``; marks under ``[[all]]`` hold in every chapter.

A mark that the prose no longer needs is reported too, so the marks stay few and current.

Numbers inside math (``$...$``), inline code and links are not prose and are skipped, as are
years (1900-2099), section numbers and versions (``2.13.0``).

Usage::

    python scripts/check_numbers.py                 # all chapters; exit 1 on a problem
    python scripts/check_numbers.py notebooks/08-lenet.ipynb
"""
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKS = ROOT / "book" / "numbers.toml"

# A number as prose writes it: 0.805, 5,977,530, 1.5e-4, 15.3%, 2.2e-13, -0.3.
NUMBER = re.compile(r"(?<![\w.])(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
                    r"(\s*%)?(?![\w.]*\d)")
SKIP = [re.compile(p, re.S) for p in (
    r"\$\$.*?\$\$", r"\$[^$\n]+\$",               # math
    r"```.*?```", r"`[^`\n]*`",                    # code
    r"\]\([^)]*\)", r"<[^>]+>", r"https?://\S+",   # link targets, tags, URLs
    r"\{[a-z]+\}`[^`]*`",                          # roles: {cite}`...`, {doc}`...`
)]
SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[A-Z*(])|\n\s*\n|\n\s*[*-] |\n\|")


@dataclass
class Problem:
    chapter: str
    number: str
    sentence: str

    def __str__(self):
        return f"{self.chapter}: {self.number!r} is not printed, cited or derived: \"{self.sentence}\""


def cell_text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def output_text(nb):
    """Everything the notebook shows or runs: outputs (text, tables) and code."""
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        parts.append(cell_text(cell))
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
            for kind in ("text/plain", "text/html", "text/markdown"):
                data = out.get("data", {}).get(kind)
                if data:
                    parts.append("".join(data) if isinstance(data, list) else data)
    return re.sub(r"(?<=\d)_(?=\d)", "", "\n".join(parts))  # 20_000 in code is 20,000


def value(text):
    return float(text.replace(",", ""))


def decimals(text):
    text = text.replace(",", "").lower().split("e")[0]
    return len(text.split(".")[1]) if "." in text else 0


def backed_values(text):
    """The numbers a notebook prints or runs, as floats."""
    return {value(m.group(1)) for m in NUMBER.finditer(text)}


SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
SCALE = re.compile(r"\s+(thousand|million|billion)\b")


def shown(number, percent, values, scale=1.0):
    """True if ``number`` (as written, e.g. '80.5' with percent, or '46.8' followed by
    'million', ``scale`` 1e6) is among ``values``."""
    x = value(number) * scale
    tolerance = 0.5 * 10 ** -decimals(number) * scale
    candidates = [x] + ([x / 100] if percent else [])
    tol = [tolerance] + ([tolerance / 100] if percent else [])
    for v in values:
        for c, t in zip(candidates, tol):
            if abs(v - c) <= t * (1 + 1e-9) or (c and abs(v - c) <= abs(c) * 1e-12):
                return True
    return False


def rounding(number):
    """Half a unit of the last figure written: 0.05 for 1.3, 500 for 843,000."""
    digits = number.replace(",", "").lstrip("-")
    if "." in digits or not digits.endswith("0"):
        return 0.5 * 10 ** -decimals(number)
    return 10 ** (len(digits) - len(digits.rstrip("0"))) / 2


def approximately(number, values):
    """For "about 11,700": a backed value that rounds to the written figures."""
    digits = number.replace(",", "").lstrip("-")
    if "." in digits or not digits.endswith("0"):
        return False
    return any(abs(v - value(number)) <= rounding(number) for v in values)


# Conversions a formula may use without the chapter printing them (minutes, percent, ...).
UNIT_CONSTANTS = {"60", "100", "1000", "3600", "1e3", "1e6", "1e9"}


def formula_holds(number, percent, formula, values):
    """A mark's formula, e.g. "2,097,664 / 2,159,114", gives the number written, and each
    of its operands is backed by the chapter. Returns an error message or None."""
    operands = [m.group(1) for m in NUMBER.finditer(formula)]
    missing = [o for o in operands if o not in UNIT_CONSTANTS and not shown(o, False, values)]
    if missing:
        return f"the formula's {', '.join(missing)} not printed by the chapter"
    expression = NUMBER.sub(lambda m: m.group(1).replace(",", ""), formula)
    if not re.fullmatch(r"[\d.eE+\-*/() ]+", expression):
        return f"the formula {formula!r} is not plain arithmetic"
    result = eval(expression, {"__builtins__": {}})  # noqa: S307 (digits and + - * / ( ) only)
    target = value(number) / (100 if percent else 1)
    tolerance = rounding(number) / (100 if percent else 1)
    if abs(result - target) > tolerance * (1 + 1e-9):
        return f"the formula {formula!r} gives {result:.6g}, not {number}"
    return None


def prose(md):
    """Markdown with math, code, link targets and roles blanked out (same length)."""
    for pattern in SKIP:
        md = pattern.sub(lambda m: " " * len(m.group(0)), md)
    return md


def sentence_at(md, start, end):
    """The sentence of the raw Markdown ``md`` around ``md[start:end]``."""
    cuts = [0] + [m.end() for m in SENTENCE_END.finditer(md)] + [len(md)]
    lo = max(c for c in cuts if c <= start)
    hi = min(c for c in cuts if c >= end)
    return " ".join(md[lo:hi].split())


def is_skipped(number, after):
    x = number.replace(",", "")
    if re.fullmatch(r"(19|20)\d\d", x):          # a year
        return True
    if re.match(r"\.\d", after):                   # a version: 2.13.0
        return True
    return not ("." in x or after.strip().startswith("%") or len(x.lstrip("-")) >= 4)


def chapter_values(chapter):
    """The printed numbers of another chapter (for a mark that points there)."""
    path = ROOT / "notebooks" / f"{chapter}.ipynb"
    if not path.is_file():
        raise ValueError(f"book/numbers.toml points to {chapter}, which is not a chapter")
    return backed_values(output_text(json.loads(path.read_text(encoding="utf-8"))))


def check_mark(mark, number, percent, scale, values):
    """None if the mark backs the number; else what is wrong with it."""
    if "chapter" in mark:  # printed by another chapter, e.g. ResNet's results in DenseNet's
        values = values | chapter_values(mark["chapter"])
        if "formula" not in mark:
            x = value(number) / (100 if percent else 1)
            tol = rounding(number) / (100 if percent else 1)
            if any(abs(v - x * k) <= tol * k * (1 + 1e-9) for v in values for k in {scale, 1.0}):
                return None  # printed there, to the figures written
            return f"chapter {mark['chapter']} does not print it"
    if "formula" in mark:
        return formula_holds(number, percent, mark["formula"], values)
    return None  # a definition or a choice: the reason says which


APPROX = re.compile(r"(about|around|roughly|nearly|almost|some|~|≈)\s*$", re.I)


def check_notebook(path, marks):
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    chapter = Path(path).stem
    values = backed_values(output_text(nb))
    marked = {str(m["number"]): m for m in marks.get("all", []) + marks.get(chapter, [])}
    book_wide = {str(m["number"]) for m in marks.get("all", [])}
    problems, used = [], set()
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        md = cell_text(cell)
        text = prose(md)
        for m in NUMBER.finditer(text):
            number, percent = m.group(1), bool(m.group(2))
            if is_skipped(number, text[m.end(1):m.end(1) + 3]):
                continue
            written = number + ("%" if percent else "")
            sentence = sentence_at(md, m.start(), m.end())
            if "{cite}" in sentence or "{cite:" in sentence:
                continue
            unit = SCALE.match(text, m.end())
            scale = SCALES[unit.group(1)] if unit and not percent else 1.0
            if shown(number, percent, values, scale) or (scale != 1 and shown(number, percent, values)):
                continue  # "46.8 million" for 46,764,746, or for 46.8 in a column "params (M)"
            if APPROX.search(text[max(0, m.start() - 12):m.start()]) and approximately(number, values):
                continue
            mark = marked.get(written)
            if mark is not None:
                used.add(written)
                error = check_mark(mark, number, percent, scale, values)
                if error is None:
                    continue
                sentence = f"{sentence} [marked, but {error}]"
            problems.append(Problem(chapter, written, sentence))
    for stale in sorted(set(marked) - used - book_wide):
        problems.append(Problem(chapter, stale, "[marked in book/numbers.toml, but the prose "
                                                "no longer needs the mark: remove it]"))
    return problems


def load_marks(path=MARKS):
    """``{chapter: [{"number": ..., "reason": ...}, ...]}`` from book/numbers.toml."""
    if not Path(path).is_file():
        return {}
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    for chapter, entries in data.items():
        for e in entries:
            if not str(e.get("reason", "")).strip():
                raise ValueError(f"{path}: {chapter} marks {e.get('number')!r} without a reason")
            unknown = set(e) - {"number", "reason", "formula", "chapter"}
            if unknown:
                raise ValueError(f"{path}: {chapter}: unknown keys {sorted(unknown)}")
    return data


def main(argv=None):
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    paths = paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    marks = load_marks()
    problems = [p for path in paths for p in check_notebook(path, marks)]
    for p in problems:
        print(p)
    print(f"{len(problems)} unbacked numbers in {len(paths)} chapters")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

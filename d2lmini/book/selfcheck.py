"""Self-checks: short questions a reader answers where a chapter asks them to stop and check.

Each chapter's questions live in one JSON file of the package, ``selfchecks/NN.json`` (NN the
chapter's number), a list of questions. A question has an ``id`` (``"02-same-total"``: the
chapter's number, then a name), a ``question`` (Markdown text) and a ``kind``:

* ``"number"``: ``answer`` is a number; ``compute`` is a Python expression over
  :mod:`d2lmini.arithmetic` (or a real layer) that gives it, which ``tests/test_selfcheck.py``
  evaluates, so no answer is typed in by hand; ``hint`` is shown after a wrong answer.
* ``"shape"``: ``answer`` is a list of whole numbers (an output shape), with ``compute`` and
  ``hint`` as for a number.
* ``"choice"``: ``options`` is a list of ``{"text": ..., "why": ...}`` and ``answer`` the
  index of the right one; each option's ``why`` says why it is right or wrong.

Every question has an ``explain``: the reasoning, shown once the answer is right.

In a notebook, :func:`show` displays a question and :func:`check` says whether an answer is
right and why. On the book's site the same :func:`show` output becomes a small form
(``book/_static/selfcheck.js``), which checks answers the way :func:`check` does.
``python -m d2lmini.book.selfcheck notebooks/NN-name.ipynb`` writes the outputs of a chapter's
self-check cells without running the chapter (:func:`render`).

>>> check("02-alexnet-conv1", 55)
Right. (227 - 11) / 4 + 1 = 55: the window's last start is 227 - 11 = 216, and 216 / 4 = 54 steps after the first.
True
>>> check("02-alexnet-conv1", 54)
Not quite: 54 is not it. Hint: count the starts of the window: the first at 0, the last at n - k, in steps of s.
False
"""
import functools
import html
import json
import math
import re
from pathlib import Path

__all__ = ["check", "show", "question", "questions", "Question"]

FOLDER = Path(__file__).parent / "selfchecks"
KINDS = ("number", "shape", "choice")
# Numbers that are not whole are compared to this relative tolerance: a reader may type
# 0.333 for 1/3. Whole numbers must be exact.
RTOL = 1e-3


@functools.lru_cache(maxsize=None)
def questions(chapter=None):
    """Every question of the book, or of one chapter (its number): ``{id: question}``.

    >>> sorted(questions(2))[:1]
    ['02-alexnet-conv1']
    """
    found = {}
    for path in sorted(FOLDER.glob("*.json")):
        if chapter is not None and int(path.stem) != int(chapter):
            continue
        for q in json.loads(path.read_text(encoding="utf-8")):
            _validate(q, path)
            if q["id"] in found:
                raise ValueError(f"{path.name}: the question id {q['id']!r} is used twice")
            found[q["id"]] = q
    return found


def question(qid):
    """The question ``qid`` (a dict); ``KeyError`` naming the chapter's ids if it is unknown."""
    try:
        return questions()[qid]
    except KeyError:
        prefix = qid.split("-", 1)[0] if isinstance(qid, str) else ""
        near = [k for k in questions() if k.startswith(prefix + "-")]
        raise KeyError(f"no self-check {qid!r}; this chapter's are: "
                       f"{', '.join(near) or 'none'}") from None


def _validate(q, path):
    missing = [k for k in ("id", "question", "kind", "answer", "explain") if k not in q]
    if missing:
        raise ValueError(f"{path.name}: question {q.get('id', '?')!r} lacks {', '.join(missing)}")
    if not q["id"].startswith(path.stem + "-"):
        raise ValueError(f"{path.name}: id {q['id']!r} must start with {path.stem + '-'!r}")
    if q["kind"] not in KINDS:
        raise ValueError(f"{path.name}: {q['id']}: kind must be one of {KINDS}, got {q['kind']!r}")
    if q["kind"] == "choice":
        options = q.get("options", [])
        if len(options) < 2 or not all("text" in o and "why" in o for o in options):
            raise ValueError(f"{path.name}: {q['id']}: a choice needs two or more options, "
                             "each with a 'text' and a 'why'")
        if not (isinstance(q["answer"], int) and 0 <= q["answer"] < len(options)):
            raise ValueError(f"{path.name}: {q['id']}: answer must be an option's index")
    elif "compute" not in q or "hint" not in q:
        raise ValueError(f"{path.name}: {q['id']}: a {q['kind']} question needs 'compute' "
                         "(the expression that gives its answer) and a 'hint'")


def _letter(i):
    return "abcdefghij"[i]


def _as_option(q, answer):
    """The index of the option ``answer`` names: an index, a letter ("b") or the text."""
    options = q["options"]
    if isinstance(answer, str):
        text = answer.strip().lower()
        if len(text) == 1 and text in "abcdefghij"[:len(options)]:
            return "abcdefghij".index(text)
        for i, o in enumerate(options):
            if o["text"].strip().lower() == text:
                return i
    elif isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(options):
        return answer
    letters = ", ".join(f"'{_letter(i)}'" for i in range(len(options)))
    raise ValueError(f"answer {q['id']!r} with one of the letters {letters}; got {answer!r}")


def _same_number(given, answer):
    """A whole-number answer (a count: parameters, positions) must be exact, since a count
    off by a few biases is a wrong count; any other to :data:`RTOL`."""
    if float(answer).is_integer():  # as the site's script decides: 4 and 4.0 alike
        return float(given) == float(answer)
    return math.isclose(float(given), float(answer), rel_tol=RTOL, abs_tol=1e-9)


def verdict(qid, answer):
    """``(right, message)`` for ``answer`` to the question ``qid``, without printing."""
    q = question(qid)
    if q["kind"] == "choice":
        i = _as_option(q, answer)
        why = q["options"][i]["why"]
        if i == q["answer"]:
            return True, f"Right. {why} {q['explain']}".strip()
        return False, f"Not quite: ({_letter(i)}) {why}"
    if q["kind"] == "shape":
        try:
            got = [int(v) for v in answer]
        except (TypeError, ValueError):
            raise ValueError(f"answer {qid!r} with a shape such as (1, 6, 28, 28); "
                             f"got {answer!r}") from None
        if got == list(q["answer"]):
            return True, f"Right. {q['explain']}"
        return False, f"Not quite: {tuple(got)} is not it. Hint: {q['hint']}"
    try:
        right = _same_number(answer, q["answer"])
    except (TypeError, ValueError):
        raise ValueError(f"answer {qid!r} with a number; got {answer!r}") from None
    if right:
        return True, f"Right. {q['explain']}"
    return False, f"Not quite: {answer} is not it. Hint: {q['hint']}"


def check(qid, answer):
    """Say whether ``answer`` is right for the self-check ``qid``, and why; return a bool.

    ``answer`` is a number, a shape (a tuple of whole numbers) or, for a multiple-choice
    question, the option's letter (``"b"``). A wrong answer gets a hint (a number or shape)
    or the reason that option is wrong; a right one gets the reasoning.
    """
    right, message = verdict(qid, answer)
    print(message)
    return right


class Question:
    """A self-check as a notebook shows it: text in a terminal, a small form in HTML
    (which the book's site makes interactive), with the line to answer it in code."""

    def __init__(self, qid):
        self.q = question(qid)

    def _how(self):
        q = self.q
        example = {"number": "...", "shape": "(..., ...)", "choice": "'a'"}[q["kind"]]
        return f"check({q['id']!r}, {example})"

    def __repr__(self):
        q, lines = self.q, [f"Self-check {self.q['id']}: {self.q['question']}"]
        if q["kind"] == "choice":
            lines += [f"  ({_letter(i)}) {o['text']}" for i, o in enumerate(q["options"])]
        lines.append(f"Answer in a cell: {self._how()}")
        return "\n".join(lines)

    def _repr_html_(self):
        q = self.q
        # The site's script reads the question from data-question and builds the form; a
        # notebook shows the text and the options as a list, answered with check().
        data = html.escape(json.dumps(q, ensure_ascii=False, sort_keys=True), quote=True)
        parts = [f'<div class="selfcheck" data-question="{data}">',
                 f'<p class="selfcheck-question"><strong>Self-check.</strong> '
                 f'{html.escape(q["question"])}</p>']
        if q["kind"] == "choice":
            parts.append('<ol class="selfcheck-options" type="a">')
            parts += [f"<li>{html.escape(o['text'])}</li>" for o in q["options"]]
            parts.append("</ol>")
        parts.append(f'<p class="selfcheck-how">Answer in a cell: '
                     f'<code>{html.escape(self._how())}</code></p></div>')
        return "".join(parts)


def show(qid):
    """Display the self-check ``qid`` (the last expression of a cell): its question, its
    options, and the :func:`check` call that answers it."""
    return Question(qid)


_SHOW = re.compile(r"""^selfcheck\.show\(["']([\w-]+)["']\)\s*$""", re.M)


def output(qid, execution_count=None):
    """The output cell a notebook holds after running ``selfcheck.show(qid)`` (nbformat 4)."""
    q = Question(qid)
    return {"output_type": "execute_result", "execution_count": execution_count,
            "metadata": {}, "data": {"text/html": q._repr_html_(), "text/plain": repr(q)}}


def render(path):
    """Write into notebook ``path`` the outputs of its ``selfcheck.show(...)`` cells, as
    running them gives, without running the chapter: a question edited in the bank, or one
    added to a chapter whose training cells take an hour, gets its output in a second.
    Returns the number of cells whose output changed; the file is rewritten (atomically,
    in Jupyter's own format: needs ``nbformat``) only when one did."""
    import nbformat
    from ..files import atomic_write_text
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    changed, count = 0, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        found = _SHOW.findall(cell.source)
        if not found:
            count = cell.get("execution_count") or count
            continue
        # A cell with outputs needs an execution count (nbval refuses "unrun" cells with
        # outputs): a new one follows the count of the code cell before it.
        if cell.get("execution_count") is None:
            cell.execution_count, changed = count + 1, changed + 1
        count = cell.execution_count
        fresh = output(found[-1], cell.execution_count)
        if [dict(o) for o in cell.get("outputs", [])] != [fresh]:
            cell.outputs, changed = [nbformat.from_dict(fresh)], changed + 1
    if changed:
        atomic_write_text(path, nbformat.writes(nb) + "\n")
    return changed


def main(argv=None):
    """``python -m d2lmini.book.selfcheck NOTEBOOK...``: :func:`render` each notebook."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m d2lmini.book.selfcheck",
                                     description=render.__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help="notebooks (.ipynb)")
    args = parser.parse_args(argv)
    for name in args.notebooks:
        try:
            print(f"{name}: {render(name)} self-check output(s) written")
        except KeyError as e:
            parser.exit(2, f"error: {name}: {e.args[0]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

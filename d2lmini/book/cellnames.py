"""The names a notebook cell defines and the names it reads, found without running it.

A notebook's cells share one namespace: a cell reads what earlier cells defined. Whether a
cell can run after a given set of cells is a question of names, which Python's own symbol
tables (:mod:`symtable`) answer from the source alone: the names a cell binds at its top
level (assignments, imports, ``def``, ``class``, ``for`` and ``with`` targets), and the names
it reads from the namespace, also from inside the functions it defines (they look those up
when called). The single-framework copies of the book's chapters are checked with it
(:func:`d2lmini.book.export.unresolved_names`).

>>> defined, read = cell_names("import numpy as np\\ndef f(x):\\n    return np.exp(x) * scale")
>>> sorted(defined), sorted(read)
(['f', 'np'], ['scale'])
"""
import builtins
import symtable

__all__ = ["python_source", "cell_names", "NOTEBOOK_NAMES"]

# What IPython puts in a kernel's namespace besides Python's builtins.
NOTEBOOK_NAMES = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit",
                                             "quit", "__builtins__", "__name__"}


def python_source(source):
    """A cell's source as Python: a line magic or a shell line (``%matplotlib inline``,
    ``!pip ...``) becomes ``pass``; a cell magic (``%%writefile``) makes the whole cell
    text for IPython, not Python: ``""``.

    >>> python_source("%matplotlib inline\\nx = 1")
    'pass\\nx = 1'
    """
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return ""
    out = []
    for line in lines:
        code = line.lstrip()
        out.append(line[:len(line) - len(code)] + "pass" if code.startswith(("%", "!"))
                   else line)
    return "\n".join(out)


def cell_names(source):
    """``(defined, read)``: the sets of names cell ``source`` binds in the notebook's
    namespace and the names it reads from there (builtins included; a name it binds
    itself is not counted as read). ``SyntaxError`` for a cell that is not Python."""
    table = symtable.symtable(python_source(source), "<cell>", "exec")
    defined, read = set(), set()
    for symbol in table.get_symbols():
        if symbol.is_assigned() or symbol.is_imported():
            defined.add(symbol.get_name())
        elif symbol.is_referenced():
            read.add(symbol.get_name())
    read |= _globals_of_nested(table)
    return defined, read - defined


def _globals_of_nested(table):
    """The global names read inside the functions and classes defined in ``table``."""
    found = set()
    for child in table.get_children():
        for symbol in child.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                found.add(symbol.get_name())
        found |= _globals_of_nested(child)
    return found

"""The book's own tools: exporting, executing and reproducing chapters
(:mod:`~d2lmini.book.export`, :mod:`~d2lmini.book.execute`, :mod:`~d2lmini.book.reproduce`),
the interactive figures (:mod:`~d2lmini.book.explore`, :mod:`~d2lmini.book.lenet_page`),
self-checks (:mod:`~d2lmini.book.selfcheck`), one network in two frameworks
(:mod:`~d2lmini.book.twins`) and the tested versions (:mod:`~d2lmini.book.versions`).
"""

"""The two frameworks the book is written in: their names in code and as readers see them.

One table for the package, the site's tabs and the benchmark, so that a third framework
(or a renamed tab) is one edit. Imports nothing heavy: the exporter and the site's build
read it without loading a framework.

>>> [FRAMEWORK_NAMES[f] for f in FRAMEWORKS]
['PyTorch', 'TensorFlow']
"""

FRAMEWORKS = ("pytorch", "tensorflow")  # notebook cell tags and ``TrainResult.framework``
FRAMEWORK_NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}  # tab labels, prose

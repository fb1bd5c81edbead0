"""d2lmini for TensorFlow/Keras: ``from d2lmini import tensorflow as d2l``.

The same names, in the same order, as :mod:`d2lmini.torch`. Import it before TensorFlow
itself: it quiets TensorFlow's C++ start-up logging.
"""
import importlib.util as _util

if _util.find_spec("tensorflow") is None:  # one line that says what to do, not a deep traceback
    raise ModuleNotFoundError("d2lmini.tensorflow needs TensorFlow, which is not installed here: "
                              "pip install 'd2lmini[tensorflow]' (or install TensorFlow your own way)")
import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .backend_tf.devices import *  # noqa: F403
from .backend_tf.data import *  # noqa: F403
from .backend_tf.train import *  # noqa: F403
from .backend_tf.models import *  # noqa: F403
from .backend_tf.book_networks import *  # noqa: F403
from .backend_tf.cifar10 import *  # noqa: F403
from .backend_tf.movie_reviews import *  # noqa: F403
from .backend_tf.augment import *  # noqa: F403
from .backend_tf.distributed import *  # noqa: F403
from .backend_tf.inside import *  # noqa: F403
from .backend_tf.compat import *  # noqa: F403 (d2l's aliases: d2l.tensor, ...)
from .config import budget, quick_mode  # noqa: F401
from .plotting import Animator, plot, plot_history, set_axes, set_figsize, show_images, use_svg_display  # noqa: F401
from .utils import Accumulator, Timer  # noqa: F401

"""d2lmini for PyTorch: ``from d2lmini import torch as d2l``.

The same names, in the same order, as :mod:`d2lmini.tensorflow`.
"""
import importlib.util as _util

if _util.find_spec("torch") is None:  # one line that says what to do, not a deep traceback
    raise ModuleNotFoundError("d2lmini.torch needs PyTorch, which is not installed here: "
                              "pip install 'd2lmini[torch]' (or install PyTorch your own way)")
from .backend_torch.devices import *  # noqa: F403
from .backend_torch.data import *  # noqa: F403
from .backend_torch.train import *  # noqa: F403
from .backend_torch.models import *  # noqa: F403
from .backend_torch.book_networks import *  # noqa: F403
from .backend_torch.cifar10 import *  # noqa: F403
from .backend_torch.movie_reviews import *  # noqa: F403
from .backend_torch.augment import *  # noqa: F403
from .backend_torch.distributed import *  # noqa: F403
from .backend_torch.inside import *  # noqa: F403
from .backend_torch.compat import *  # noqa: F403 (d2l's aliases: d2l.tensor, ...)
from .config import budget, quick_mode  # noqa: F401
from .plotting import Animator, plot, plot_history, set_axes, set_figsize, show_images, use_svg_display  # noqa: F401
from .utils import Accumulator, Timer  # noqa: F401

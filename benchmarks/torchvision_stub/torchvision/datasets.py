"""Stand-in for torchvision.datasets: every name is a placeholder that raises when used."""
from ._missing import module_getattr

__getattr__ = module_getattr("torchvision.datasets")

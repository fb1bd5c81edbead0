"""The object every stand-in name resolves to: it fails loudly when used."""


class Missing:
    """Placeholder for a torchvision object; calling it raises ``RuntimeError``."""

    def __init__(self, name):
        self._name = name

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self._name} is not available: this is the benchmark's stand-in "
                           "for torchvision (benchmarks/torchvision_stub); install torchvision "
                           "to use it")

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Missing(f"{self._name}.{attr}")

    def __repr__(self):
        return f"<missing {self._name}>"


def module_getattr(module_name):
    """A module-level ``__getattr__`` that returns :class:`Missing` placeholders."""
    def __getattr__(name):  # noqa: N807 (module protocol)
        if name.startswith("__"):
            raise AttributeError(name)
        return Missing(f"{module_name}.{name}")
    return __getattr__

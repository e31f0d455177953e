"""warmup: libwarmup's learning-rate schedules for Python (ctypes over libwarmup.so).

    import warmup
    s = warmup.Schedule("warmup(5%) > cosine(to=0.1)", lr=3e-4, total_steps=10000)
    s.lr(0), s(499), s.lrs(10000)

See python/README.md and docs/PYTHON.md."""
from ._lib import path as library_path
from .schedule import Schedule, SpecError, lr_lambda

__all__ = ["Schedule", "SpecError", "lr_lambda", "suggest", "Suggestion", "plot",
           "library_path", "__version__"]

try:
    from .suggest import Suggestion, suggest
except ImportError:  # pragma: no cover - only while the package is being assembled
    pass
try:
    from .plot import plot
except ImportError:  # pragma: no cover
    pass

__version__ = "0.2.0"

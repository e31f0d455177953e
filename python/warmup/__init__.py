"""warmup: libwarmup's learning-rate schedules for Python (ctypes over libwarmup.so).

    import warmup
    s = warmup.Schedule("warmup(5%) > cosine(to=0.1)", lr=3e-4, total_steps=10000)
    s.lr(0), s(499), s.lrs(10000)

Schedule, SpecError, lr_lambda, suggest and plot are here; the PyTorch scheduler and the
Hugging Face drop-ins are warmup.torch and warmup.hf. See python/README.md and docs/PYTHON.md.
libwarmup_plot.so (for plot) is loaded on the first plot() call."""
from ._lib import path as library_path
from .plot import plot
from .schedule import Schedule, SpecError, lr_lambda
from .suggest import SuggestRule, Suggestion, suggest

__all__ = ["Schedule", "SpecError", "lr_lambda", "suggest", "Suggestion", "SuggestRule", "plot",
           "library_path", "__version__"]

__version__ = "0.3.0"  # WU_VERSION of include/warmup.h

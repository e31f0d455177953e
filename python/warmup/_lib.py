"""Finding and declaring libwarmup (include/warmup.h) for ctypes.

The shared library is looked for, in order:
  1. next to this package (warmup/libwarmup.so: what `make python` installs);
  2. the path in the environment variable WARMUP_LIB;
  3. the build/ directory of the checkout this package lives in (python/warmup/../../build);
  4. the system's library path (libwarmup.so.0, as `make install` installs it).
When none loads, importing warmup raises ImportError saying how to build it.
"""
import ctypes
import ctypes.util
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_CHECKOUT_BUILD = os.path.normpath(os.path.join(_HERE, "..", "..", "build"))
SOMAJOR = "0"


class WuError(ctypes.Structure):
    """wu_error: code, line, col, msg[320]."""
    _fields_ = [("code", ctypes.c_int), ("line", ctypes.c_int), ("col", ctypes.c_int),
                ("msg", ctypes.c_char * 320)]


class WuSchedOpts(ctypes.Structure):
    """wu_sched_opts: lr, total_steps, steps_per_epoch."""
    _fields_ = [("lr", ctypes.c_double), ("total_steps", ctypes.c_int64),
                ("steps_per_epoch", ctypes.c_int64)]


class WuSuggestIn(ctypes.Structure):
    """wu_suggest_in (enums are C ints)."""
    _fields_ = [("total_steps", ctypes.c_int64), ("epochs", ctypes.c_double),
                ("steps_per_epoch", ctypes.c_int64), ("dataset_size", ctypes.c_int64),
                ("optimizer", ctypes.c_int), ("beta2", ctypes.c_double),
                ("batch", ctypes.c_int64), ("base_batch", ctypes.c_int64),
                ("base_lr", ctypes.c_double), ("base_warmup", ctypes.c_int64),
                ("lr", ctypes.c_double), ("scenario", ctypes.c_int), ("decay", ctypes.c_int)]


SUGGEST_MAX_RULES = 8


class WuSuggestRule(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 48), ("source", ctypes.c_char * 64),
                ("low", ctypes.c_int64), ("high", ctypes.c_int64), ("steps", ctypes.c_int64),
                ("note", ctypes.c_char * 200)]


class WuSuggestion(ctypes.Structure):
    _fields_ = [("total_steps", ctypes.c_int64), ("steps_per_epoch", ctypes.c_int64),
                ("warmup_steps", ctypes.c_int64), ("lr", ctypes.c_double),
                ("lr_rule", ctypes.c_char * 200), ("nrules", ctypes.c_int),
                ("rules", WuSuggestRule * SUGGEST_MAX_RULES), ("picked", ctypes.c_int),
                ("why", ctypes.c_char * 400), ("conflicts", ctypes.c_char * 600),
                ("spec", ctypes.c_char * 160), ("hf_spec", ctypes.c_char * 200)]


def _candidates(name, soname):
    """Where to look for `name` (e.g. libwarmup.so), in the documented order."""
    yield os.path.join(_HERE, name)
    env = os.environ.get("WARMUP_LIB")
    if env and name == "libwarmup.so":
        yield env
    if env and name != "libwarmup.so":
        # WARMUP_LIB names libwarmup.so; its companions live beside it
        yield os.path.join(os.path.dirname(os.path.abspath(env)), name)
    yield os.path.join(_CHECKOUT_BUILD, name)
    found = ctypes.util.find_library(name[3:-3])
    if found:
        yield found
    yield soname


def load(name="libwarmup.so", soname="libwarmup.so." + SOMAJOR, what="libwarmup"):
    """Load the first library that exists and loads; ImportError saying how to build it."""
    tried = []
    for path in _candidates(name, soname):
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError(
        "warmup: cannot find %s (%s). Build it with `make` in the warmup repository "
        "(it writes build/%s), then install the package with `make python`, or set "
        "WARMUP_LIB to the path of libwarmup.so. Tried: %s"
        % (what, name, name, "; ".join(tried)))


lib, path = load()

_c = ctypes
_sched_p = _c.c_void_p


def _decl(fn, restype, *argtypes):
    f = getattr(lib, fn)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_decl("wu_sched_parse", _c.c_int, _c.POINTER(_sched_p), _c.c_char_p, _c.POINTER(WuSchedOpts),
      _c.POINTER(WuError))
_decl("wu_sched_destroy", None, _sched_p)
_decl("wu_sched_lr", _c.c_double, _sched_p, _c.c_int64)
_decl("wu_sched_lr_at", _c.c_double, _sched_p, _c.c_int64, _c.c_double)
_decl("wu_sched_fill", None, _sched_p, _c.c_void_p, _c.c_size_t, _c.c_int64)
_decl("wu_sched_horizon", _c.c_int64, _sched_p)
_decl("wu_sched_warmup_steps", _c.c_int64, _sched_p)
_decl("wu_sched_base_lr", _c.c_double, _sched_p)
_decl("wu_sched_spec", _c.c_char_p, _sched_p)
_decl("wu_sched_observe", _c.c_int, _sched_p, _c.c_double)
_decl("wu_sched_state_size", _c.c_size_t, _sched_p)
_decl("wu_sched_state_save", _c.c_int, _sched_p, _c.c_void_p, _c.c_size_t, _c.POINTER(WuError))
_decl("wu_sched_state_load", _c.c_int, _sched_p, _c.c_char_p, _c.c_size_t, _c.POINTER(WuError))
_decl("wu_suggest_warmup", _c.c_int, _c.POINTER(WuSuggestion), _c.POINTER(WuSuggestIn),
      _c.POINTER(WuError))

_plot = None


def plot_lib():
    """libwarmup_plot.so (include/warmup_plot.h), loaded on first use."""
    global _plot
    if _plot is None:
        pl, _ = load("libwarmup_plot.so", "libwarmup_plot.so." + SOMAJOR, "libwarmup_plot")
        pl.wu_plot_svg.restype = _c.c_int
        pl.wu_plot_svg.argtypes = [_c.POINTER(_c.c_void_p), _c.POINTER(_c.c_size_t),
                                   _c.POINTER(_c.c_char_p), _c.POINTER(_c.c_char_p), _c.c_int,
                                   _c.POINTER(WuSchedOpts), _c.c_int, _c.c_char_p, _c.c_int,
                                   _c.c_int, _c.POINTER(WuError)]
        pl.wu_plot_free.restype = None
        pl.wu_plot_free.argtypes = [_c.c_void_p]
        _plot = pl
    return _plot

"""Finding and declaring libwarmup (include/warmup.h) for ctypes.

The shared library is looked for, in order:
  1. next to this package (warmup/libwarmup.so: what `make python` installs);
  2. the path in the environment variable WARMUP_LIB;
  3. the build/ directory of the checkout this package lives in (python/warmup/../../build);
  4. the system's library path (libwarmup.so.0.3, as `make install` installs it).
A library that loads but lacks the functions this package calls (a stale libwarmup.so.0, or
WARMUP_LIB naming another library) is passed over. When none fits, importing warmup raises
ImportError naming each path tried and saying how to build it.
"""
import ctypes
import ctypes.util
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_CHECKOUT_BUILD = os.path.normpath(os.path.join(_HERE, "..", "..", "build"))
SOMAJOR = "0.3"  # the soname's version: major.minor before 1.0 (the Makefile's SOMAJOR)


class WuError(ctypes.Structure):
    """wu_error: code, line, col, msg[320]."""
    _fields_ = [("code", ctypes.c_int), ("line", ctypes.c_int), ("col", ctypes.c_int),
                ("msg", ctypes.c_char * 320)]


class WuSchedOpts(ctypes.Structure):
    """wu_sched_opts: lr, total_steps, steps_per_epoch, tokens_per_step, samples_per_step
    (the last two since 0.3.0), auto_warmup_steps (issue 18: the length warmup(auto) takes;
    0 = not chosen, -1 = WU_AUTO_WARMUP_NONE). The same members in the same order as
    include/warmup.h: the library reads them through this layout."""
    _fields_ = [("lr", ctypes.c_double), ("total_steps", ctypes.c_int64),
                ("steps_per_epoch", ctypes.c_int64), ("tokens_per_step", ctypes.c_int64),
                ("samples_per_step", ctypes.c_int64), ("auto_warmup_steps", ctypes.c_int64)]


# wu_sched_opts.auto_warmup_steps for a chosen length of 0 steps (0 itself: not chosen)
AUTO_WARMUP_NONE = -1


class WuSuggestIn(ctypes.Structure):
    """wu_suggest_in (enums are C ints)."""
    _fields_ = [("total_steps", ctypes.c_int64), ("epochs", ctypes.c_double),
                ("steps_per_epoch", ctypes.c_int64), ("dataset_size", ctypes.c_int64),
                ("optimizer", ctypes.c_int), ("beta2", ctypes.c_double),
                ("batch", ctypes.c_int64), ("base_batch", ctypes.c_int64),
                ("base_lr", ctypes.c_double), ("base_warmup", ctypes.c_int64),
                ("lr", ctypes.c_double), ("scenario", ctypes.c_int), ("decay", ctypes.c_int),
                ("accumulation", ctypes.c_int64)]  # accumulation: since 0.3.0


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


# what this package calls: a library that loads but lacks one of them (a stale libwarmup.so.0
# from an older `make install`, or WARMUP_LIB naming another library) is passed over
SYMBOLS = ("wu_sched_parse", "wu_sched_destroy", "wu_sched_lr", "wu_sched_lr_at",
           "wu_sched_fill", "wu_sched_horizon", "wu_sched_warmup_steps", "wu_sched_base_lr",
           "wu_sched_spec", "wu_sched_observe", "wu_sched_state_size", "wu_sched_state_save",
           "wu_sched_state_load", "wu_suggest_warmup",
           # 0.3.0: its wu_sched_opts and wu_suggest_in are longer; an older library lacks it
           "wu_sched_replan")
PLOT_SYMBOLS = ("wu_plot_svg", "wu_plot_free")


def load(name="libwarmup.so", soname="libwarmup.so." + SOMAJOR, what="libwarmup",
         symbols=SYMBOLS):
    """Load the first library that exists, loads and has `symbols`; ImportError saying what
    was tried and how to build it."""
    tried = []
    for path in _candidates(name, soname):
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (missing)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
            continue
        missing = [s for s in symbols if not hasattr(lib, s)]
        if missing:
            tried.append("%s (loads, but lacks %s: not this version of %s)"
                         % (path, ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else ""),
                            what))
            continue
        return lib, path
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
_decl("wu_sched_replan", _c.c_int, _c.POINTER(_sched_p), _sched_p, _c.c_int64, _c.c_int64,
      _c.POINTER(WuError))
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
_decl("wu_sched_plateau_lrs", _c.c_int, _sched_p, _c.c_void_p, _c.c_int)
_decl("wu_sched_set_plateau_lrs", _c.c_int, _sched_p, _c.c_void_p, _c.c_int, _c.POINTER(WuError))
_decl("wu_suggest_warmup", _c.c_int, _c.POINTER(WuSuggestion), _c.POINTER(WuSuggestIn),
      _c.POINTER(WuError))

_plot = None


def plot_lib():
    """libwarmup_plot.so (include/warmup_plot.h), loaded on first use."""
    global _plot
    if _plot is None:
        pl, _ = load("libwarmup_plot.so", "libwarmup_plot.so." + SOMAJOR, "libwarmup_plot",
                     PLOT_SYMBOLS)
        pl.wu_plot_svg.restype = _c.c_int
        pl.wu_plot_svg.argtypes = [_c.POINTER(_c.c_void_p), _c.POINTER(_c.c_size_t),
                                   _c.POINTER(_c.c_char_p), _c.POINTER(_c.c_char_p), _c.c_int,
                                   _c.POINTER(WuSchedOpts), _c.c_int, _c.c_char_p, _c.c_int,
                                   _c.c_int, _c.POINTER(WuError)]
        pl.wu_plot_free.restype = None
        pl.wu_plot_free.argtypes = [_c.c_void_p]
        _plot = pl
    return _plot


# ---- the plateau nodes' LRs (wu_sched_plateau_lrs / wu_sched_set_plateau_lrs) -----------------
# WarmupScheduler moves a plateau between parameter groups' LR scales with these.

def plateau_lrs(ptr):
    """The current LR of each plateau node of the C schedule `ptr`, in spec order."""
    n = lib.wu_sched_plateau_lrs(ptr, None, 0)
    out = (_c.c_double * n)()
    lib.wu_sched_plateau_lrs(ptr, out, n)
    return list(out)


def set_plateau_lrs(ptr, lrs):
    """Replace the plateau nodes' LRs of the C schedule `ptr`; ValueError from the library's
    message when the count or a value is wrong."""
    arr = (_c.c_double * len(lrs))(*lrs)
    err = WuError()
    if lib.wu_sched_set_plateau_lrs(ptr, arr, len(lrs), _c.byref(err)) != 0:
        raise ValueError("warmup: " + err.msg.decode("utf-8", "replace"))

"""warmup.plot(): schedules drawn as the SVG `warmup plot -o FILE` writes, by the same C code
(libwarmup_plot.so, include/warmup_plot.h)."""
import ctypes
import os
import tempfile

from . import _lib
from .schedule import _float, _int, _spec_error, _spec_text

MAX_SPECS = 8
MAX_STEPS = 50_000_000


def _texts(name, v, n=None):
    if isinstance(v, str):
        v = [v]
    try:
        v = list(v)
    except TypeError:
        raise TypeError("%s must be a str or a list of str, not %s"
                        % (name, type(v).__name__)) from None
    if n is not None and len(v) != n:
        raise ValueError("%s has %d entries for %d specs: give one per spec" % (name, len(v), n))
    return v


def plot(specs, lr=1.0, steps=None, path=None, log_y=False, labels=None, title=None,
         steps_per_epoch=None, width=None, height=None):
    """The SVG text of a chart of one spec or a list of up to 8 over `steps` updates, e.g.

        svg = warmup.plot(["cosine", "warmup(10%) > cosine"], lr=1.0, steps=1000,
                          path="lr.svg")

    Byte for byte what `warmup plot SPEC... --steps N --lr LR -o FILE` writes with the same
    options (lr 1: the y axis is the factor of the peak). labels: legend names, one per spec
    (None: the spec texts); title: None for the default; width/height in pixels (None: 800
    wide, a height that fits the legend). With path, the file is written whole or not at all
    (a temporary file in the same directory, then renamed). A bad spec raises SpecError."""
    specs = [_spec_text(s) for s in _texts("specs", specs)]
    if not 1 <= len(specs) <= MAX_SPECS:
        raise ValueError("plot: give 1 to %d specs, got %d" % (MAX_SPECS, len(specs)))
    lr = _float("lr", lr)
    if steps is None:
        raise TypeError("plot: steps is required (the number of updates to draw)")
    steps = _int("steps", steps, minimum=1)
    if steps > MAX_STEPS:
        raise ValueError("plot: steps %d is too many points to draw (at most %d)"
                         % (steps, MAX_STEPS))
    steps_per_epoch = _int("steps_per_epoch", steps_per_epoch, allow_none=True)
    if labels is not None:
        labels = _texts("labels", labels, len(specs))
        for lb in labels:
            if lb is not None:
                _spec_text(lb)
    if title is not None:
        if not isinstance(title, str):
            raise TypeError("title must be a str, not %s" % type(title).__name__)
        _spec_text(title)
    w = 0 if width is None else _int("width", width, minimum=200)
    h = 0 if height is None else _int("height", height, minimum=200)
    if w > 10000 or h > 10000:
        raise ValueError("width and height must be at most 10000 pixels")
    pl = _lib.plot_lib()
    n = len(specs)
    c_specs = (ctypes.c_char_p * n)(*[s.encode("utf-8") for s in specs])
    c_labels = None
    if labels is not None:
        c_labels = (ctypes.c_char_p * n)(*[None if lb is None else lb.encode("utf-8")
                                           for lb in labels])
    opts = _lib.WuSchedOpts(lr, steps, steps_per_epoch or 0)
    svg = ctypes.c_void_p()
    size = ctypes.c_size_t()
    err = _lib.WuError()
    rc = pl.wu_plot_svg(ctypes.byref(svg), ctypes.byref(size), c_specs, c_labels, n,
                        ctypes.byref(opts), 1 if log_y else 0,
                        None if title is None else title.encode("utf-8"), w, h,
                        ctypes.byref(err))
    if rc != 0:
        if err.line > 0 or err.msg.startswith(b"spec:"):
            raise _spec_error(err)
        raise ValueError("warmup.plot: " + err.msg.decode("utf-8", "replace"))
    try:
        data = ctypes.string_at(svg.value, size.value)
    finally:
        pl.wu_plot_free(svg)
    if path is not None:
        _write_atomic(os.fspath(path), data)
    return data.decode("utf-8")


def _write_atomic(path, data):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".warmup-plot-", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m

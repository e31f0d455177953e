"""warmup.Schedule: one parsed spec (include/warmup.h's wu_schedule) and its LRs."""
import ctypes
import math
import numbers
import operator

from . import _lib

try:
    import numpy as _np
except ImportError:  # numpy is optional: lrs() returns a list without it
    _np = None

INT64_MAX = 2 ** 63 - 1
_WU_EPARSE = -2


class SpecError(ValueError):
    """A spec the library refused. .line and .column are 1-based (0 when the message is not
    about a position in the spec); .message is the library's message without its
    "spec:LINE:COL: " prefix; str() is the whole message, e.g.
    "spec:1:17: expected ')' after argument list"."""

    def __init__(self, full, line=0, column=0, message=None, code=0):
        super().__init__(full)
        self.line = line
        self.column = column
        self.message = message if message is not None else full
        self.code = code


def _msg(err):
    return err.msg.decode("utf-8", "replace")


def _spec_error(err):
    full = _msg(err)
    line, col, message = err.line, err.col, full
    if full.startswith("spec:"):
        parts = full.split(":", 3)
        if len(parts) == 4 and parts[1].isdigit() and parts[2].isdigit():
            line, col, message = int(parts[1]), int(parts[2]), parts[3].strip()
    return SpecError(full, line, col, message, err.code)


def _int(name, v, allow_none=False, minimum=0):
    """v as a Python int (numpy integers too; not bools, not floats)."""
    if v is None and allow_none:
        return None
    if isinstance(v, bool):
        raise TypeError("%s must be an integer, not bool" % name)
    try:
        v = operator.index(v)
    except TypeError:
        raise TypeError("%s must be an integer%s, not %s"
                        % (name, " or None" if allow_none else "", type(v).__name__)) from None
    if v < minimum:
        raise ValueError("%s must be >= %d, got %d" % (name, minimum, v))
    if v > INT64_MAX:
        raise ValueError("%s must be at most 2**63 - 1, got %d" % (name, v))
    return v


def _float(name, v, positive=True):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError("%s must be a real number, not %s" % (name, type(v).__name__))
    v = float(v)
    if not math.isfinite(v):
        raise ValueError("%s must be finite, got %r" % (name, v))
    if positive and v <= 0:
        raise ValueError("%s must be > 0, got %r" % (name, v))
    return v


def _spec_text(spec):
    if not isinstance(spec, str):
        raise TypeError("spec must be a str, not %s" % type(spec).__name__)
    if "\0" in spec:
        raise ValueError("spec must not contain a NUL character")
    return spec


def _opts(lr, total_steps, steps_per_epoch, tokens_per_step=None, samples_per_step=None,
          auto_warmup_steps=None):
    # auto_warmup_steps: None = not chosen (C's 0); 0 = chosen, no warmup (C's -1)
    auto = 0 if auto_warmup_steps is None else (
        auto_warmup_steps if auto_warmup_steps > 0 else _lib.AUTO_WARMUP_NONE)
    return _lib.WuSchedOpts(lr, total_steps or 0, steps_per_epoch or 0, tokens_per_step or 0,
                            samples_per_step or 0, auto)


# what __init__ sets (as _spec, ...) and the properties that read it
_FIELDS = ("spec", "lr", "base_lr", "total_steps", "steps_per_epoch", "horizon", "warmup",
           "warmup_steps", "tokens_per_step", "samples_per_step", "auto_warmup_steps",
           "replans")


class Schedule:
    """A learning-rate schedule parsed from a spec (docs/SPEC.md), e.g.

        s = warmup.Schedule("warmup(5%) > cosine(to=0.1)", lr=3e-4, total_steps=10000)
        s.lr(0), s(500), s.lrs(10000)

    lr is the base (peak) LR; total_steps resolves `10%` durations and HF's default
    num_training_steps; steps_per_epoch resolves `2ep`; tokens_per_step and samples_per_step
    (what one optimizer update consumes, over every micro-batch and worker) resolve `375M tok`
    and `2M samples`. auto_warmup_steps is the length `warmup(auto)` takes (what `warmup
    tune` chose, in steps; 0 = no warmup; None = not chosen, when warmup(auto) raises
    SpecError). Step k is the LR of the optimizer's k-th update (k = 0, 1, ...). A bad
    spec raises SpecError (a ValueError). s.replan(at, total_steps) re-targets the schedule to
    a new run length from step `at` without a jump."""

    # None until __init__ has parsed, and again after __del__: every method that reaches the
    # library goes through _live(), so a closed or never-initialised Schedule raises ValueError
    # instead of handing C a NULL pointer
    _ptr = None
    _h = None

    def __init__(self, spec, lr, total_steps=None, steps_per_epoch=None, *,
                 tokens_per_step=None, samples_per_step=None, auto_warmup_steps=None):
        spec = _spec_text(spec)
        lr = _float("lr", lr)
        total_steps = _int("total_steps", total_steps, allow_none=True)
        steps_per_epoch = _int("steps_per_epoch", steps_per_epoch, allow_none=True)
        tokens_per_step = _int("tokens_per_step", tokens_per_step, allow_none=True)
        samples_per_step = _int("samples_per_step", samples_per_step, allow_none=True)
        auto_warmup_steps = _int("auto_warmup_steps", auto_warmup_steps, allow_none=True)
        opts = _opts(lr, total_steps, steps_per_epoch, tokens_per_step, samples_per_step,
                     auto_warmup_steps)
        err = _lib.WuError()
        ptr = ctypes.c_void_p()
        rc = _lib.lib.wu_sched_parse(ctypes.byref(ptr), spec.encode("utf-8"), ctypes.byref(opts),
                                     ctypes.byref(err))
        if rc != 0:
            raise _spec_error(err)
        self._h = _Handle(ptr)  # frees the schedule when the last holder lets go
        self._ptr = ptr
        self._spec = spec
        self._lr = lr
        self._total_steps = total_steps
        self._steps_per_epoch = steps_per_epoch
        self._tokens_per_step = tokens_per_step
        self._samples_per_step = samples_per_step
        self._auto_warmup_steps = auto_warmup_steps
        self._replans = ()
        self._horizon = int(_lib.lib.wu_sched_horizon(ptr))
        self._warmup = int(_lib.lib.wu_sched_warmup_steps(ptr))

    def replan(self, at, total_steps):
        """A new Schedule for a run that is `total_steps` long from step `at` on (wu_sched_replan):
        the same LRs before `at`, the same LR at `at` (no jump), the decay re-targeted to the
        new end (a WSD cooldown keeps its length; a warmup stays). Native specs only; this one
        is unchanged. ValueError with the library's message otherwise."""
        at = _int("at", at)
        total_steps = _int("total_steps", total_steps)
        ptr = ctypes.c_void_p()
        err = _lib.WuError()
        if _lib.lib.wu_sched_replan(ctypes.byref(ptr), self._live(), at, total_steps,
                                    ctypes.byref(err)) != 0:
            raise ValueError("warmup: " + _msg(err))
        s = Schedule.__new__(Schedule)
        s.__dict__.update(self.__dict__)
        s._total0 = self._first_total()
        s._h = _Handle(ptr)
        s._ptr = ptr
        s._total_steps = total_steps
        s._replans = self._replans + ((at, total_steps),)
        s._horizon = int(_lib.lib.wu_sched_horizon(ptr))
        s._warmup = int(_lib.lib.wu_sched_warmup_steps(ptr))
        return s

    def __del__(self):
        # drops this object's hold on the C schedule (freed once no WarmupScheduler holds it
        # either); called by hand, it closes the Schedule: its methods then raise ValueError
        self._ptr = None
        self._h = None

    def _live(self):
        """The C schedule, or ValueError when there is none (closed or never initialised)."""
        ptr = self._ptr
        if ptr is None:
            if "_spec" in self.__dict__:
                raise ValueError("this warmup.Schedule (%r) was closed (its __del__ ran); "
                                 "make a new one" % self._spec)
            raise ValueError("this warmup.Schedule was never initialised (made with "
                             "Schedule.__new__ without __init__); use warmup.Schedule(spec, "
                             "lr, ...)")
        return ptr

    def __getattr__(self, name):
        # reached for what __init__ sets (and the properties reading it) on an object that
        # __init__ never initialised
        if "_spec" not in self.__dict__ and name.lstrip("_") in _FIELDS:
            raise AttributeError("this warmup.Schedule was never initialised (made with "
                                 "Schedule.__new__ without __init__): it has no %s"
                                 % name.lstrip("_"))
        raise AttributeError("'Schedule' object has no attribute %r" % name)

    # ---- values -------------------------------------------------------------------------
    def lr(self, step):
        """The LR of update `step` (an int >= 0); held at the last defined step past
        .horizon."""
        return _lib.lib.wu_sched_lr(self._live(), _int("step", step))

    __call__ = lr

    def lr_at(self, step, base_lr):
        """The LR of update `step` for a parameter group whose initial LR is base_lr (torch's
        per-group initial_lr; 0 is allowed, a frozen group). OneCycleLR and CyclicLR fix their
        own range and ignore it."""
        base_lr = _float("base_lr", base_lr, positive=False)
        if base_lr < 0:
            raise ValueError("base_lr must be >= 0, got %r" % base_lr)
        return _lib.lib.wu_sched_lr_at(self._live(), _int("step", step), base_lr)

    def lrs(self, n, start=0):
        """The LRs of updates start .. start+n-1: a numpy float64 array when numpy imports,
        else a list. One call into the library (wu_sched_fill)."""
        ptr = self._live()
        n = _int("n", n)
        start = _int("start", start)
        if n and start + n - 1 > INT64_MAX:
            raise ValueError("start + n must be at most 2**63")
        if _np is not None:
            out = _np.empty(n, dtype=_np.float64)
            if n:
                _lib.lib.wu_sched_fill(ptr, out.ctypes.data, n, start)
            return out
        buf = (ctypes.c_double * n)()
        if n:
            _lib.lib.wu_sched_fill(ptr, ctypes.addressof(buf), n, start)
        return list(buf)

    # ---- properties ---------------------------------------------------------------------
    @property
    def spec(self):
        return self._spec

    @property
    def base_lr(self):
        return self._lr

    @property
    def total_steps(self):
        return self._total_steps

    @property
    def steps_per_epoch(self):
        return self._steps_per_epoch

    @property
    def tokens_per_step(self):
        return self._tokens_per_step

    @property
    def samples_per_step(self):
        return self._samples_per_step

    @property
    def auto_warmup_steps(self):
        """The length warmup(auto) was given (None: not given)."""
        return self._auto_warmup_steps

    @property
    def replans(self):
        """The re-plans that made this schedule, in order: ((at, total_steps), ...)."""
        return self._replans

    @property
    def horizon(self):
        """Steps for which the schedule is defined: 2**63 - 1 for most; total_steps + 1 for
        torch:OneCycleLR."""
        return self._horizon

    @property
    def warmup_steps(self):
        """The step at which the warmup ends (0: no warmup)."""
        return self._warmup

    def __repr__(self):
        if "_spec" not in self.__dict__:
            return "<warmup.Schedule, never initialised>"
        args = [repr(self._spec), "lr=%r" % self._lr]
        if self._total_steps is not None:
            args.append("total_steps=%r" % self._total_steps)
        if self._steps_per_epoch is not None:
            args.append("steps_per_epoch=%r" % self._steps_per_epoch)
        for k in ("tokens_per_step", "samples_per_step", "auto_warmup_steps"):
            if getattr(self, "_" + k) is not None:
                args.append("%s=%r" % (k, getattr(self, "_" + k)))
        if self._replans:  # the run length it was parsed with, then each re-plan
            args[2:3] = ["total_steps=%r" % self._first_total()]
        return "warmup.Schedule(%s)%s" % (", ".join(args), "".join(
            ".replan(%r, %r)" % r for r in self._replans))

    def _first_total(self):
        return self.__dict__.get("_total0", self._total_steps)

    # ---- reduce-on-plateau state --------------------------------------------------------
    def observe(self, metric):
        """Feed a metric to the plateau nodes (torch's ReduceLROnPlateau.step(metric));
        returns how many reduced their LR. A NaN counts as not better, as in torch."""
        if isinstance(metric, bool) or not isinstance(metric, numbers.Real):
            raise TypeError("metric must be a real number, not %s" % type(metric).__name__)
        return int(_lib.lib.wu_sched_observe(self._live(), float(metric)))

    def state(self):
        """The plateau state as bytes (b"" when the schedule has none)."""
        ptr = self._live()
        n = _lib.lib.wu_sched_state_size(ptr)
        if n == 0:
            return b""
        buf = ctypes.create_string_buffer(n)
        err = _lib.WuError()
        if _lib.lib.wu_sched_state_save(ptr, buf, n, ctypes.byref(err)) != 0:
            raise ValueError("warmup: " + _msg(err))
        return buf.raw

    def load_state(self, b):
        """Restore what state() returned (from a schedule of the same spec): ValueError
        otherwise."""
        ptr = self._live()
        if not isinstance(b, (bytes, bytearray, memoryview)):
            raise TypeError("state must be bytes, not %s" % type(b).__name__)
        b = bytes(b)
        n = _lib.lib.wu_sched_state_size(ptr)
        if n == 0 and not b:
            return
        if len(b) != n:
            raise ValueError("warmup: a state of %d bytes does not fit this schedule (%s), "
                             "which needs %d: it comes from another spec"
                             % (len(b), self._spec, n))
        err = _lib.WuError()
        if _lib.lib.wu_sched_state_load(ptr, b, n, ctypes.byref(err)) != 0:
            raise ValueError("warmup: " + _msg(err))

    # ---- pickling and copying -----------------------------------------------------------
    def __reduce__(self):
        state = self.state()  # ValueError first when closed or never initialised
        return (_restore, (self._spec, self._lr, self._first_total(), self._steps_per_epoch,
                           state, self._tokens_per_step, self._samples_per_step,
                           self._replans, self._auto_warmup_steps))

    def __getstate__(self):
        # only reached by callers that bypass __reduce__; kept for symmetry
        self._live()
        return {"spec": self._spec, "lr": self._lr, "total_steps": self._first_total(),
                "steps_per_epoch": self._steps_per_epoch, "state": self.state(),
                "tokens_per_step": self._tokens_per_step,
                "samples_per_step": self._samples_per_step, "replans": self._replans,
                "auto_warmup_steps": self._auto_warmup_steps}


class _Handle:
    """Owns one C schedule (wu_sched_destroy when the last reference goes). A Schedule and a
    WarmupScheduler that evaluates it both hold it, so closing the Schedule by hand cannot
    free what the scheduler still uses."""
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        ptr, self.ptr = self.ptr, None
        if ptr is not None and _lib is not None and _lib.lib is not None:
            _lib.lib.wu_sched_destroy(ptr)


def _restore(spec, lr, total_steps, steps_per_epoch, state, tokens_per_step=None,
             samples_per_step=None, replans=(), auto_warmup_steps=None):
    s = Schedule(spec, lr, total_steps, steps_per_epoch, tokens_per_step=tokens_per_step,
                 samples_per_step=samples_per_step, auto_warmup_steps=auto_warmup_steps)
    for at, total in replans:
        s = s.replan(at, total)
    if state:
        s.load_state(state)
    return s


class lr_lambda:
    """A picklable callable for torch.optim.lr_scheduler.LambdaLR:

        LambdaLR(opt, warmup.lr_lambda("warmup(100) > cosine", lr=0.1, total_steps=1000))

    f(step) = Schedule(spec, lr, ...).lr(step) / lr: the schedule's LR relative to its base LR
    `lr`, which LambdaLR multiplies by each group's initial_lr. `lr` is required: give the
    optimizer's LR. The spec's absolute LRs (torch's eta_min, CyclicLR's base_lr/max_lr,
    OneCycleLR's max_lr, the native min=, HF's min_lr and polynomial lr_end) are read against
    it, so with lr equal to the group's initial LR the group gets exactly the schedule's LRs;
    with any other lr they would be silently wrong. Groups whose initial LRs differ take one
    lambda each, LambdaLR(opt, [warmup.lr_lambda(spec, g["lr"]) for g in opt.param_groups]),
    which gives torch's per-group numbers for torch: specs (eta_min is absolute in every
    group). Plateau specs cannot be driven through LambdaLR (it has no metric): use
    warmup.torch.WarmupScheduler.

    Pickling keeps the spec and options only (torch's LambdaLR.state_dict() stores this
    object's __dict__), so a saved LambdaLR restores its lambda."""

    # the parsed schedule lives in slots, outside __dict__: LambdaLR.state_dict() copies
    # __dict__, which so holds plain values only (str, float, int, None; no object of this
    # package). torch 1.13's torch.load(weights_only=True) cannot read it all the same: its
    # restricted unpickler refuses even a float (pickle's BINFLOAT), so load with the default
    __slots__ = ("__dict__", "_schedule", "_key")

    def __init__(self, spec, lr, total_steps=None, steps_per_epoch=None):
        self.spec = spec
        self.lr = lr
        self.total_steps = total_steps
        self.steps_per_epoch = steps_per_epoch
        self._key = None
        self._current()  # a bad spec or option raises here, not at the first step

    def _current(self):
        """The Schedule for the current fields (LambdaLR.load_state_dict may replace them)."""
        key = (self.spec, self.lr, self.total_steps, self.steps_per_epoch)
        if self._key != key:
            self._schedule = Schedule(*key)
            self._key = key
        return self._schedule

    def __call__(self, step):
        s = self._current()
        return s.lr(step) / s.base_lr

    def __getstate__(self):
        return {"spec": self.spec, "lr": self.lr, "total_steps": self.total_steps,
                "steps_per_epoch": self.steps_per_epoch}

    def __setstate__(self, d):
        self.__init__(d["spec"], d["lr"], d["total_steps"], d["steps_per_epoch"])

    def __repr__(self):
        return "warmup.lr_lambda(%r, lr=%r, total_steps=%r, steps_per_epoch=%r)" % (
            self.spec, self.lr, self.total_steps, self.steps_per_epoch)

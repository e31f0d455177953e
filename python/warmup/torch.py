"""libwarmup's schedules as a PyTorch LR scheduler.

    import warmup.torch
    sched = warmup.torch.WarmupScheduler(opt, "warmup(100) > cosine", total_steps=1000)
    for batch in data:
        loss(batch).backward(); opt.step(); opt.zero_grad()
        sched.step()                       # one step = one optimizer update

The LR of update k is a closed form in k (Schedule.lr_at(k, group's initial_lr)), so a run
resumed from a state_dict continues with exactly the LRs of an uninterrupted run. See
docs/PYTHON.md.
"""
import math
import numbers
import operator
import re
import warnings

import torch.optim
import torch.optim.lr_scheduler as _lrs

from . import Schedule
from . import _lib

__all__ = ["WarmupScheduler"]

# torch >= 2.0 names the base class LRScheduler; 1.13 has only _LRScheduler
_Base = getattr(_lrs, "LRScheduler", None) or _lrs._LRScheduler

_STATE_VERSION = 1
_INT64_MAX = 2 ** 63 - 1


def _index(value):
    """value as a Python int when it is an integer (int, numpy's integers, anything with
    __index__; not bool), else None."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _check_steps(name, value):
    if value is None:
        return None
    v = _index(value)
    if v is None:
        raise TypeError("%s must be an int or None, not %s" % (name, type(value).__name__))
    value = v
    if value <= 0:
        raise ValueError("%s must be > 0 (got %d); leave it None when unknown" % (name, value))
    return value


def _check_lr(what, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError("WarmupScheduler: %s must be a number, not %s" % (what, type(v).__name__))


def _positive(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _dialect(spec):
    """'torch', 'hf' or 'native', as wu_sched_parse reads the spec's prefix."""
    s = spec.lstrip(" \t")
    return "torch" if s.startswith("torch:") else "hf" if s.startswith("hf:") else "native"


# torch:OneCycleLR / CyclicLR (they cannot be nested, so the spec is the call itself) and an
# explicit cycle_momentum=False (the spec grammar's False, false or 0)
_CYCLING = re.compile(r"^[ \t]*torch:\s*(?:[A-Za-z_][\w.]*\.)?(OneCycleLR|CyclicLR)\s*\(")
_NO_MOMENTUM = re.compile(r"[(,]\s*cycle_momentum\s*=\s*(?:False|false|0)\s*[,)]")


def _momentum_warning(specs):
    names = []
    for s in ([specs] if isinstance(specs, str) else specs):
        m = _CYCLING.match(s)
        if m and not _NO_MOMENTUM.search(s) and m.group(1) not in names:
            names.append(m.group(1))
    if names:
        warnings.warn("WarmupScheduler: %s: the LR matches torch's, but the momentum (SGD's "
                      "momentum, Adam's beta1) is not cycled, although torch's default "
                      "cycle_momentum=True cycles it; write cycle_momentum=False in the spec "
                      "to say that this is what you want (and silence this warning)"
                      % " and ".join("torch:" + n for n in names), UserWarning, stacklevel=3)


class WarmupScheduler(_Base):
    """A torch LR scheduler driven by a libwarmup spec (docs/SPEC.md).

    optimizer        a torch.optim.Optimizer
    spec             one spec (str) for every parameter group, or a list/tuple of specs, one per
                     group, e.g. "warmup(5%) > cosine", "torch:LinearLR(start_factor=0.1,
                     total_iters=10)", "hf:linear(num_warmup_steps=10, num_training_steps=100)"
    total_steps      total optimizer updates: resolves `5%` durations and hf:'s default
                     num_training_steps (None: unknown)
    steps_per_epoch  resolves `2ep` durations (None: unknown)
    tokens_per_step, samples_per_step (keywords)  what one optimizer update consumes, over
                     every micro-batch and worker: resolve `375M tok` and `2M samples`
    last_epoch       -1 for a new run (sets each group's 'initial_lr' to its 'lr', as torch does);
                     k to resume after update k (each group must then hold 'initial_lr')

    Group g's LR for update k is Schedule(spec_g).lr_at(k, initial_lr_g): torch scales each
    group's own base LR; OneCycleLR and CyclicLR fix their own range, as in torch (but do not
    cycle the momentum: a UserWarning says so unless the spec has cycle_momentum=False). The
    spec's absolute LRs (native min=, hf: min_lr / lr_end) are read at the optimizer's default
    lr; torch:'s eta_min is absolute in every group, as in torch. A plateau that never fires
    changes nothing; min_lr and eps apply to each group's own LR, as torch's (see _build).

    Specs with ReduceLROnPlateau take the metric: scheduler.step(val_loss) feeds it (as torch's
    ReduceLROnPlateau.step(metrics)) and then advances one step. A plateau spec stepped without a
    metric raises TypeError (as torch's does); a metric given to a spec without a plateau raises
    ValueError (torch would silently take it for the deprecated `epoch` argument).
    """

    def __init__(self, optimizer, spec, total_steps=None, steps_per_epoch=None, last_epoch=-1,
                 verbose=False, *, tokens_per_step=None, samples_per_step=None):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError("WarmupScheduler: %s is not a torch.optim.Optimizer"
                            % type(optimizer).__name__)
        ngroups = len(optimizer.param_groups)
        if isinstance(spec, str):
            specs = spec
        elif isinstance(spec, (list, tuple)):
            if len(spec) != ngroups:
                raise ValueError("WarmupScheduler: %d specs for %d parameter groups: give one "
                                 "spec for all groups or exactly one per group"
                                 % (len(spec), ngroups))
            for i, s in enumerate(spec):
                if not isinstance(s, str):
                    raise TypeError("WarmupScheduler: spec %d is a %s, not a str"
                                    % (i, type(s).__name__))
            specs = list(spec)
        else:
            raise TypeError("WarmupScheduler: spec must be a str or a list of str (one per "
                            "parameter group), not %s" % type(spec).__name__)
        le = _index(last_epoch)
        if le is None:
            raise TypeError("WarmupScheduler: last_epoch must be an int, not %s"
                            % type(last_epoch).__name__)
        last_epoch = le
        if last_epoch < -1:
            raise ValueError("WarmupScheduler: last_epoch must be -1 (a new run) or the index "
                             "of the last update done (>= 0), not %d" % last_epoch)
        total_steps = _check_steps("total_steps", total_steps)
        steps_per_epoch = _check_steps("steps_per_epoch", steps_per_epoch)
        units = (_check_steps("tokens_per_step", tokens_per_step),
                 _check_steps("samples_per_step", samples_per_step))
        self._ready = False
        # parse before the parent touches the optimizer: a bad spec leaves it as it was
        bases = []
        for i, g in enumerate(optimizer.param_groups):
            key = "initial_lr" if "initial_lr" in g else "lr"
            _check_lr("param_groups[%d][%r]" % (i, key), g.get(key))
            bases.append(g.get(key))
        self.__dict__.update(_build(optimizer, bases, specs, total_steps, steps_per_epoch, units))
        _momentum_warning(specs)
        super().__init__(optimizer, last_epoch, verbose)
        self._ready = True

    # ---- the schedules (built by _build below) -------------------------------------------
    @property
    def specs(self):
        """The spec (str) or the list of per-group specs."""
        return self._specs

    @property
    def schedules(self):
        """One warmup.Schedule per parameter group (shared when the spec is)."""
        return list(self._group_sched)

    @property
    def horizon(self):
        """Updates for which the schedule is defined (OneCycleLR: total_steps + 1)."""
        return self._horizon

    # ---- torch's scheduler protocol --------------------------------------------------------
    def _values(self, k):
        if k < 0:
            raise ValueError("WarmupScheduler: step %d is negative" % k)
        if k >= self._horizon:
            if self._horizon >= _INT64_MAX:
                raise ValueError("WarmupScheduler: step %d is past the last step a schedule "
                                 "can take (2**63 - 2)" % k)
            raise ValueError("WarmupScheduler: tried to step %d times; the schedule is defined "
                             "for %d updates (OneCycleLR's total_steps + 1, as torch)"
                             % (k + 1, self._horizon))
        f = self._c_lr_at
        return [f(p, k, b) for p, b in zip(self._ptrs, self.base_lrs)]

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, "
                          "please use `get_last_lr()`.", UserWarning)
        return self._values(self.last_epoch)

    def _get_closed_form_lr(self):
        return self._values(self.last_epoch)

    def step(self, metrics=None, epoch=None):
        """Advances one optimizer update (call it after optimizer.step()).

        metrics: the value to feed a ReduceLROnPlateau spec (required there, refused elsewhere).
        epoch:   torch's deprecated explicit step index (keyword only here)."""
        if self._ready:
            if metrics is not None:
                if not self._plateau:
                    raise ValueError("WarmupScheduler.step(%r): this spec has no "
                                     "ReduceLROnPlateau, so it takes no metric; call step()"
                                     % (metrics,))
                if isinstance(metrics, bool):
                    raise TypeError("WarmupScheduler.step: the metric must be a number, not bool")
                try:
                    m = float(metrics)  # a one-element tensor too, as torch's float(metrics)
                except (TypeError, ValueError):
                    raise TypeError("WarmupScheduler.step: the metric must be a number (or a "
                                    "one-element tensor), not %s" % type(metrics).__name__)
                observe = self._c_observe
                for p in self._obs_ptrs:
                    observe(p, m)
                if self._scaled:
                    _sync(self._scaled)
            elif self._plateau:
                raise TypeError("WarmupScheduler.step() missing the metric: a "
                                "ReduceLROnPlateau spec is stepped as step(val_loss)")
            if epoch is None:
                if self._step_count > 1 and not self.verbose:
                    # what torch's step() does without an epoch, printing or the first-step
                    # warnings (those go through the parent below), at a fifth of its cost
                    self._step_count += 1
                    k = self.last_epoch + 1
                    self.last_epoch = k
                    values = self._values(k)
                    for group, lr in zip(self.optimizer.param_groups, values):
                        group["lr"] = lr
                    self._last_lr = values
                    return
            else:
                e = _index(epoch)
                if e is None:
                    raise TypeError("WarmupScheduler.step: epoch must be an int, not %s"
                                    % type(epoch).__name__)
                epoch = e
                if epoch < 0:
                    raise ValueError("WarmupScheduler.step: epoch %d is negative" % epoch)
        super().step(epoch)

    # ---- checkpoints ---------------------------------------------------------------------
    def state_dict(self):
        """Plain data only (str, int, float, list, bytes): torch.save/torch.load round-trip."""
        return {
            "warmup_state_version": _STATE_VERSION,
            "spec": self._specs if isinstance(self._specs, str) else list(self._specs),
            "total_steps": self._total_steps,
            "steps_per_epoch": self._steps_per_epoch,
            "tokens_per_step": self._units[0],
            "samples_per_step": self._units[1],
            "base_lrs": list(self.base_lrs),
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "_last_lr": list(self._last_lr),
            "verbose": self.verbose,
            # per group: its plateau's state in the group's own LR scale (b"" for none)
            "plateau_state": [t.state() if t is not None else b"" for t in self._trackers],
        }

    def load_state_dict(self, state_dict):
        """Restores a state_dict() (rebuilds the schedules from its spec and options)."""
        if not isinstance(state_dict, dict) or "spec" not in state_dict \
                or "warmup_state_version" not in state_dict:
            raise ValueError("WarmupScheduler.load_state_dict: not a WarmupScheduler state "
                             "(no 'spec' / 'warmup_state_version' keys)")
        if state_dict["warmup_state_version"] != _STATE_VERSION:
            raise ValueError("WarmupScheduler.load_state_dict: state version %r, this package "
                             "reads %d" % (state_dict["warmup_state_version"], _STATE_VERSION))
        spec = state_dict["spec"]
        n = len(self.optimizer.param_groups)
        if not isinstance(spec, str) and len(spec) != n:
            raise ValueError("WarmupScheduler.load_state_dict: the state has %d specs, the "
                             "optimizer %d parameter groups" % (len(spec), n))
        if len(state_dict["base_lrs"]) != n:
            raise ValueError("WarmupScheduler.load_state_dict: the state has %d groups, the "
                             "optimizer %d" % (len(state_dict["base_lrs"]), n))
        for i, b in enumerate(state_dict["base_lrs"]):
            _check_lr("base_lrs[%d]" % i, b)
        # everything is built and checked before anything is assigned: a state that fails
        # leaves this scheduler as it was
        built = _build(self.optimizer, list(state_dict["base_lrs"]),
                       spec if isinstance(spec, str) else list(spec),
                       state_dict["total_steps"], state_dict["steps_per_epoch"],
                       (state_dict.get("tokens_per_step"), state_dict.get("samples_per_step")))
        saved = list(state_dict["plateau_state"])
        trackers = built["_trackers"]
        if not built["_plateau"]:
            if any(len(b) for b in saved):
                raise ValueError("WarmupScheduler.load_state_dict: the state holds plateau "
                                 "state, but its spec has no ReduceLROnPlateau")
        else:
            if len(saved) != n:
                raise ValueError("WarmupScheduler.load_state_dict: %d plateau states for %d "
                                 "parameter groups" % (len(saved), n))
            for t, b in zip(trackers, saved):
                if t is not None:
                    t.load_state(bytes(b))
                elif len(b):
                    raise ValueError("WarmupScheduler.load_state_dict: plateau state for a "
                                     "group whose spec has no ReduceLROnPlateau")
            _sync(built["_plateaus"])
        self.__dict__.update(built)
        self.base_lrs = list(state_dict["base_lrs"])
        self.last_epoch = state_dict["last_epoch"]
        self._step_count = state_dict["_step_count"]
        self._last_lr = list(state_dict["_last_lr"])
        self.verbose = state_dict.get("verbose", False)
        # unlike torch's own schedulers, write the restored step's LR into the optimizer: a
        # scheduler built after optimizer.load_state_dict() (which then set the LR of step 0)
        # still continues exactly where the saved run was
        if 0 <= self.last_epoch < self._horizon:
            values = self._values(self.last_epoch)
            for group, lr in zip(self.optimizer.param_groups, values):
                group["lr"] = lr
            self._last_lr = values

    # copy.deepcopy and pickle: the ctypes handles are rebuilt from the (picklable) schedules
    _HANDLES = ("_c_lr_at", "_ptrs", "_handles", "_c_observe", "_obs_ptrs", "_obs_handles")

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in self._HANDLES}

    def __setstate__(self, d):
        self.__dict__.update(d)
        self.__dict__.update(_handles(self._group_sched, self._plateaus))

    def __repr__(self):
        return "WarmupScheduler(%r, last_epoch=%d)" % (self._specs, self.last_epoch)


# ---- building the schedules ----------------------------------------------------------------
def _build(optimizer, base_lrs, specs, total_steps, steps_per_epoch, units=(None, None)):
    """The schedules of `specs` for groups with these initial LRs, as a dict of the scheduler's
    attributes (nothing is assigned here, so a failure leaves a scheduler as it was).

    The spec's base LR (opts.lr) is the optimizer's default lr, as HF's lr_init uses it, and
    group g's LR for update k is lr_at(k, initial_lr_g): one spec scales each group's own base
    LR, and absolute LRs in native and hf: specs (min=, min_lr) are read at the default lr.

    torch: specs are parsed at the largest LR of the groups that use them instead (their
    values do not depend on
    opts.lr: eta_min, max_lr, ... are absolute, per group as in torch); only the check that
    eta_min is not above the LR does, and it is about the groups' LRs, not the optimizer's
    default (torch checks nothing: a group below eta_min rises to it, as the fixtures show).

    Plateaus: torch's ReduceLROnPlateau applies min_lr and eps to each group's own LR, so each
    group gets its own plateau state, in its own LR scale. A torch: or hf: plateau spec is the
    plateau alone and is parsed at the group's LR (torch's numbers exactly). A native spec
    with a plateau is evaluated from a copy parsed at the default lr like any native spec (a
    plateau that never fires changes nothing), and a second copy (its tracker) feeds the
    metrics to a plateau whose LR starts at the group's LR, so min_lr and eps apply to the
    group's plateau LR; after each metric the tracker's plateau LR, as a ratio of the group's
    LR, is copied into the evaluated copy (_sync)."""
    lr = optimizer.defaults.get("lr")
    if not _positive(lr):
        lr = base_lrs[0] if base_lrs and _positive(base_lrs[0]) else 1.0
    per_group = [specs] * len(base_lrs) if isinstance(specs, str) else list(specs)
    cache = {}
    kw = {"tokens_per_step": units[0], "samples_per_step": units[1]}

    def shared(s, at):
        if (s, at) not in cache:
            cache[(s, at)] = Schedule(s, at, total_steps, steps_per_epoch, **kw)
        return cache[(s, at)]

    top = {}
    for s, b in zip(per_group, base_lrs):
        if _positive(b):
            top[s] = max(top.get(s, b), b)
    group_sched, trackers, plateaus = [], [], []
    for s, b in zip(per_group, base_lrs):
        dialect = _dialect(s)
        own = b if _positive(b) else lr
        sched = shared(s, top.get(s, lr) if dialect == "torch" else lr)
        if not sched.state():  # no plateau: groups with the same spec and LR share it
            group_sched.append(sched)
            trackers.append(None)
            continue
        if dialect != "native":  # the plateau alone, at the group's LR
            tracker = sched = Schedule(s, own, total_steps, steps_per_epoch, **kw)
            scale = None
        else:
            sched = Schedule(s, lr, total_steps, steps_per_epoch, **kw)
            if own == lr:
                tracker, scale = sched, None
            else:
                tracker = Schedule(s, lr, total_steps, steps_per_epoch, **kw)
                ptr = tracker._live()
                _lib.set_plateau_lrs(ptr, [own] * len(_lib.plateau_lrs(ptr)))
                scale = (own, lr)
        group_sched.append(sched)
        trackers.append(tracker)
        plateaus.append((tracker, sched, scale))
    kept = {id(x): x for x in group_sched + [t for t in trackers if t is not None]}
    built = {
        "_specs": specs,
        "_total_steps": total_steps,
        "_steps_per_epoch": steps_per_epoch,
        "_units": tuple(units),
        "_group_sched": group_sched,
        "_trackers": trackers,
        "_plateaus": plateaus,
        "_plateau": bool(plateaus),
        "_scaled": [x for x in plateaus if x[2] is not None],
        "_horizon": min((x.horizon for x in kept.values()), default=_INT64_MAX),
    }
    built.update(_handles(group_sched, plateaus))
    return built


def _handles(group_sched, plateaus):
    # step() is on every update's path: the C functions and the schedules' pointers are looked
    # up once (Schedule.lr_at and .observe would check their arguments on every call). The
    # handles keep the C schedules alive even if a Schedule of .schedules is closed by hand.
    trackers = [t for t, _, _ in plateaus]
    return {"_c_lr_at": _lib.lib.wu_sched_lr_at,
            "_ptrs": [s._live() for s in group_sched],
            "_handles": [s._h for s in group_sched],
            "_c_observe": _lib.lib.wu_sched_observe,
            "_obs_ptrs": [t._live() for t in trackers],
            "_obs_handles": [t._h for t in trackers]}


def _sync(plateaus):
    """Copies each tracker's plateau LRs into the schedule that is evaluated (see _build)."""
    for tracker, sched, scale in plateaus:
        if scale is not None:
            own, lr = scale
            sched.load_state(tracker.state())  # best, counters, cooldown: as the tracker's
            _lib.set_plateau_lrs(sched._live(),
                                 [lr * (x / own) for x in _lib.plateau_lrs(tracker._live())])

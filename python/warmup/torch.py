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


def _check_steps(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int or None, not %s" % (name, type(value).__name__))
    if value <= 0:
        raise ValueError("%s must be > 0 (got %d); leave it None when unknown" % (name, value))
    return value


def _check_lr(what, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError("WarmupScheduler: %s must be a number, not %s" % (what, type(v).__name__))


def _positive(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


class WarmupScheduler(_Base):
    """A torch LR scheduler driven by a libwarmup spec (docs/SPEC.md).

    optimizer        a torch.optim.Optimizer
    spec             one spec (str) for every parameter group, or a list/tuple of specs, one per
                     group, e.g. "warmup(5%) > cosine", "torch:LinearLR(start_factor=0.1,
                     total_iters=10)", "hf:linear(num_warmup_steps=10, num_training_steps=100)"
    total_steps      total optimizer updates: resolves `5%` durations and hf:'s default
                     num_training_steps (None: unknown)
    steps_per_epoch  resolves `2ep` durations (None: unknown)
    last_epoch       -1 for a new run (sets each group's 'initial_lr' to its 'lr', as torch does);
                     k to resume after update k (each group must then hold 'initial_lr')

    Group g's LR for update k is Schedule(spec_g).lr_at(k, initial_lr_g): torch scales each
    group's own base LR; OneCycleLR and CyclicLR fix their own range, as in torch.

    Specs with ReduceLROnPlateau take the metric: scheduler.step(val_loss) feeds it (as torch's
    ReduceLROnPlateau.step(metrics)) and then advances one step. A plateau spec stepped without a
    metric raises TypeError (as torch's does); a metric given to a spec without a plateau raises
    ValueError (torch would silently take it for the deprecated `epoch` argument).
    """

    def __init__(self, optimizer, spec, total_steps=None, steps_per_epoch=None, last_epoch=-1,
                 verbose=False):
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
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int):
            raise TypeError("WarmupScheduler: last_epoch must be an int, not %s"
                            % type(last_epoch).__name__)
        if last_epoch < -1:
            raise ValueError("WarmupScheduler: last_epoch must be -1 (a new run) or the index "
                             "of the last update done (>= 0), not %d" % last_epoch)
        self._specs = specs
        self._total_steps = _check_steps("total_steps", total_steps)
        self._steps_per_epoch = _check_steps("steps_per_epoch", steps_per_epoch)
        self._ready = False
        # parse before the parent touches the optimizer: a bad spec leaves it as it was
        bases = []
        for i, g in enumerate(optimizer.param_groups):
            key = "initial_lr" if "initial_lr" in g else "lr"
            _check_lr("param_groups[%d][%r]" % (i, key), g.get(key))
            bases.append(g.get(key))
        self._build(optimizer, bases)
        super().__init__(optimizer, last_epoch, verbose)
        self._ready = True

    # ---- the schedules -------------------------------------------------------------------
    def _build(self, optimizer, base_lrs):
        """(Re)builds the Schedule objects from the spec(s) and options."""
        # the spec's own base LR (opts.lr): the optimizer's default lr, as HF's lr_init uses it;
        # a group's LR comes from lr_at(k, its initial_lr)
        lr = optimizer.defaults.get("lr")
        if not _positive(lr):
            lr = base_lrs[0] if base_lrs and _positive(base_lrs[0]) else 1.0
        specs = [self._specs] * len(base_lrs) if isinstance(self._specs, str) else self._specs
        cache = {}
        group_sched = []
        for s in specs:  # groups with the same spec share one schedule
            if s not in cache:
                cache[s] = Schedule(s, lr, self._total_steps, self._steps_per_epoch)
            group_sched.append(cache[s])
        plateau = any(len(s.state()) > 0 for s in cache.values())
        if plateau:
            # ReduceLROnPlateau's min_lr and eps are absolute and torch applies them to each
            # group's own LR: a plateau schedule per group, built with the group's base LR
            group_sched = [Schedule(s, b if _positive(b) else lr, self._total_steps,
                                    self._steps_per_epoch) for s, b in zip(specs, base_lrs)]
            self._schedules = list(group_sched)
        else:
            self._schedules = list(cache.values())
        self._group_sched = group_sched
        self._plateau = plateau
        self._horizon = min(s.horizon for s in self._schedules) if self._schedules else _INT64_MAX
        # step() is on every update's path: the C function and the schedules' pointers are
        # looked up once (Schedule.lr_at would check its arguments on every call)
        self._c_lr_at = _lib.lib.wu_sched_lr_at
        self._ptrs = [s._ptr for s in group_sched]
        self._sched_ptrs = [s._ptr for s in self._schedules]

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
                observe = _lib.lib.wu_sched_observe
                for p in self._sched_ptrs:
                    observe(p, m)
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
                if isinstance(epoch, bool) or not isinstance(epoch, int):
                    raise TypeError("WarmupScheduler.step: epoch must be an int, not %s"
                                    % type(epoch).__name__)
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
            "base_lrs": list(self.base_lrs),
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "_last_lr": list(self._last_lr),
            "verbose": self.verbose,
            "plateau_state": [bytes(s.state()) for s in self._schedules],
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
        self._specs = spec if isinstance(spec, str) else list(spec)
        self._total_steps = state_dict["total_steps"]
        self._steps_per_epoch = state_dict["steps_per_epoch"]
        for i, b in enumerate(state_dict["base_lrs"]):
            _check_lr("base_lrs[%d]" % i, b)
        self._build(self.optimizer, list(state_dict["base_lrs"]))
        saved = state_dict["plateau_state"]
        if len(saved) != len(self._schedules):
            raise ValueError("WarmupScheduler.load_state_dict: %d plateau states for %d "
                             "schedules" % (len(saved), len(self._schedules)))
        for s, b in zip(self._schedules, saved):
            if len(b):
                s.load_state(bytes(b))
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
    _HANDLES = ("_c_lr_at", "_ptrs", "_sched_ptrs")

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in self._HANDLES}

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._c_lr_at = _lib.lib.wu_sched_lr_at
        self._ptrs = [s._ptr for s in self._group_sched]
        self._sched_ptrs = [s._ptr for s in self._schedules]

    def __repr__(self):
        return "WarmupScheduler(%r, last_epoch=%d)" % (self._specs, self.last_epoch)

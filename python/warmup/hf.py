"""Drop-ins for Hugging Face transformers' scheduler functions, with HF's signatures and numbers.

    from warmup.hf import get_scheduler, get_cosine_schedule_with_warmup
    sched = get_scheduler("cosine", optimizer, num_warmup_steps=100, num_training_steps=1000)

Each returns a warmup.torch.WarmupScheduler over the matching `hf:` spec (docs/SPEC.md): the
same LRs as transformers' LambdaLR (bit for bit on tests/fixtures/schedules_hf.jsonl), a
state_dict without callables, and an exact resume. transformers itself is not needed.
"""
import numbers

from .torch import WarmupScheduler

__all__ = ["get_scheduler", "get_constant_schedule", "get_constant_schedule_with_warmup",
           "get_linear_schedule_with_warmup", "get_cosine_schedule_with_warmup",
           "get_cosine_with_hard_restarts_schedule_with_warmup",
           "get_polynomial_decay_schedule_with_warmup", "get_inverse_sqrt_schedule",
           "get_cosine_with_min_lr_schedule_with_warmup",
           "get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "get_wsd_schedule",
           "get_reduce_on_plateau_schedule", "SCHEDULER_NAMES"]

# arguments that count optimizer updates: HF takes any number there; libwarmup whole ones
_STEP_ARGS = ("num_warmup_steps", "num_training_steps", "num_decay_steps", "num_stable_steps",
              "timescale")

# what HF's lr_lambda does with num_training_steps=0 (transformers' optimization.py; the same
# formulas as src/schedule/spec_hf.c): it divides by max(1, num_training_steps - warmup)
_HF_ZERO_RUN = {
    "linear": "the LR is 0 from the end of the warmup on, from step 0 without a warmup",
    "cosine": "after the warmup the cosine advances a whole run per step: with num_cycles=0.5 "
              "the LR alternates between the peak and 0",
    "cosine_with_restarts": "the LR is 0 from one step after the warmup on",
    "polynomial": "without a warmup HF's lambda divides by zero at step 0 (ZeroDivisionError); "
                  "with one the LR drops to lr_end right after it",
    "cosine_with_min_lr": "after the warmup the cosine advances a whole run per step: with "
                          "num_cycles=0.5 the LR alternates between the peak and the minimum",
    "cosine_warmup_with_min_lr": "after the warmup the cosine advances a whole run per step: "
                                 "with num_cycles=0.5 the LR alternates between the minimum "
                                 "and the peak",
}


def _value(func, name, v):
    """One argument as spec text (the library checks names, ranges and says what is wrong)."""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, str) and name not in _STEP_ARGS:
        # any string the spec grammar takes ('max', 'abs', 'linear', ...), quoted and escaped;
        # the library says which names an argument takes
        return "'%s'" % v.replace("\\", "\\\\").replace("'", "\\'")
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if name in _STEP_ARGS:
            if f.is_integer():
                return str(int(f))  # HF takes 5.0 steps as 5
            raise ValueError("%s: %s=%r is not a whole number of optimizer updates (HF would "
                             "use it as is); libwarmup's schedules count whole steps: give an "
                             "int" % (func, name, v))
        return repr(f)
    raise TypeError("%s: %s must be a number%s, not %s" % (
        func, name, " of optimizer updates" if name in _STEP_ARGS else " or a str",
        type(v).__name__))


def _sched(optimizer, name, last_epoch, **kw):
    func = "hf:%s" % name
    for k in kw:
        if not k.isidentifier():
            raise TypeError("%s: unexpected keyword argument %r" % (func, k))
    n = kw.get("num_training_steps")
    if name in _HF_ZERO_RUN and n is not None and not isinstance(n, (bool, str)) \
            and isinstance(n, numbers.Real) and n == 0:
        raise ValueError("%s: num_training_steps=0 is a run of no updates. HF accepts it, "
                         "but its schedule is then degenerate: %s. Give the run's number of "
                         "optimizer updates (> 0)" % (func, _HF_ZERO_RUN[name]))
    args = ", ".join("%s=%s" % (k, _value(func, k, v)) for k, v in kw.items() if v is not None)
    return WarmupScheduler(optimizer, "hf:%s(%s)" % (name, args), last_epoch=last_epoch)


def get_constant_schedule(optimizer, last_epoch=-1):
    """A constant LR (the optimizer's)."""
    return _sched(optimizer, "constant", last_epoch)


def get_reduce_on_plateau_schedule(optimizer, **kwargs):
    """torch's ReduceLROnPlateau with these keyword arguments: step it as sched.step(metric)."""
    return _sched(optimizer, "reduce_lr_on_plateau", -1, **kwargs)


def get_constant_schedule_with_warmup(optimizer, num_warmup_steps, last_epoch=-1):
    """Linear warmup from 0 over num_warmup_steps, then constant."""
    return _sched(optimizer, "constant_with_warmup", last_epoch,
                  num_warmup_steps=num_warmup_steps)


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps,
                                    last_epoch=-1):
    """Linear warmup, then linear decay to 0 at num_training_steps."""
    return _sched(optimizer, "linear", last_epoch, num_warmup_steps=num_warmup_steps,
                  num_training_steps=num_training_steps)


def get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps,
                                    num_cycles=0.5, last_epoch=-1):
    """Linear warmup, then cosine decay (num_cycles=0.5: to 0 at num_training_steps)."""
    return _sched(optimizer, "cosine", last_epoch, num_warmup_steps=num_warmup_steps,
                  num_training_steps=num_training_steps, num_cycles=num_cycles)


def get_cosine_with_hard_restarts_schedule_with_warmup(optimizer, num_warmup_steps,
                                                       num_training_steps, num_cycles=1,
                                                       last_epoch=-1):
    """Linear warmup, then num_cycles cosine decays with hard restarts."""
    return _sched(optimizer, "cosine_with_restarts", last_epoch,
                  num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                  num_cycles=num_cycles)


def get_polynomial_decay_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps,
                                              lr_end=1e-7, power=1.0, last_epoch=-1):
    """Linear warmup, then polynomial decay from the optimizer's default lr to lr_end."""
    return _sched(optimizer, "polynomial", last_epoch, num_warmup_steps=num_warmup_steps,
                  num_training_steps=num_training_steps, lr_end=lr_end, power=power)


def get_inverse_sqrt_schedule(optimizer, num_warmup_steps, timescale=None, last_epoch=-1):
    """Linear warmup, then 1/sqrt((step + shift) / timescale) (timescale: num_warmup_steps or
    10,000)."""
    return _sched(optimizer, "inverse_sqrt", last_epoch, num_warmup_steps=num_warmup_steps,
                  timescale=timescale)


def get_cosine_with_min_lr_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps,
                                                num_cycles=0.5, last_epoch=-1, min_lr=None,
                                                min_lr_rate=None):
    """Linear warmup, then cosine decay to min_lr (or min_lr_rate x the LR): give exactly one."""
    return _sched(optimizer, "cosine_with_min_lr", last_epoch,
                  num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                  num_cycles=num_cycles, min_lr=min_lr, min_lr_rate=min_lr_rate)


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(optimizer, num_warmup_steps,
                                                        num_training_steps, num_cycles=0.5,
                                                        last_epoch=-1, min_lr=None,
                                                        min_lr_rate=None, warmup_lr_rate=None):
    """As get_cosine_with_min_lr_schedule_with_warmup, with HF's (t+1)/W warmup from
    warmup_lr_rate."""
    return _sched(optimizer, "cosine_warmup_with_min_lr", last_epoch,
                  num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps,
                  num_cycles=num_cycles, min_lr=min_lr, min_lr_rate=min_lr_rate,
                  warmup_lr_rate=warmup_lr_rate)


def get_wsd_schedule(optimizer, num_warmup_steps, num_decay_steps, num_training_steps=None,
                     num_stable_steps=None, warmup_type="linear", decay_type="cosine",
                     min_lr_ratio=0, num_cycles=0.5, last_epoch=-1):
    """Warmup, stable, decay (warmup_type / decay_type: 'linear', 'cosine', '1-sqrt')."""
    return _sched(optimizer, "warmup_stable_decay", last_epoch,
                  num_warmup_steps=num_warmup_steps, num_decay_steps=num_decay_steps,
                  num_training_steps=num_training_steps, num_stable_steps=num_stable_steps,
                  warmup_type=warmup_type, decay_type=decay_type, min_lr_ratio=min_lr_ratio,
                  num_cycles=num_cycles)


_FUNCTIONS = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "reduce_lr_on_plateau": get_reduce_on_plateau_schedule,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": get_wsd_schedule,
}
SCHEDULER_NAMES = tuple(_FUNCTIONS)


def get_scheduler(name, optimizer, num_warmup_steps=None, num_training_steps=None,
                  scheduler_specific_kwargs=None):
    """transformers.get_scheduler: the scheduler NAME (a SchedulerType's value or the enum
    itself) with HF's checks: every name but constant and reduce_lr_on_plateau requires
    num_warmup_steps, and all but those and constant_with_warmup, inverse_sqrt and
    warmup_stable_decay require num_training_steps (ValueError, as HF)."""
    name = getattr(name, "value", name)  # transformers.SchedulerType members
    if not isinstance(name, str) or name not in _FUNCTIONS:
        raise ValueError("%r is not a valid SchedulerType, please select one of %s"
                         % (name, list(_FUNCTIONS)))
    func = _FUNCTIONS[name]
    kwargs = dict(scheduler_specific_kwargs or {})
    if name == "constant":
        return func(optimizer)
    if name == "reduce_lr_on_plateau":
        return func(optimizer, **kwargs)
    if num_warmup_steps is None:
        raise ValueError("%s requires `num_warmup_steps`, please provide that argument." % name)
    if name in ("constant_with_warmup", "inverse_sqrt"):
        # as HF: scheduler_specific_kwargs are not passed on (get_inverse_sqrt_schedule's
        # timescale is reachable through the function only)
        return func(optimizer, num_warmup_steps=num_warmup_steps)
    if name == "warmup_stable_decay":
        return func(optimizer, num_warmup_steps=num_warmup_steps,
                    num_training_steps=num_training_steps, **kwargs)
    if num_training_steps is None:
        raise ValueError("%s requires `num_training_steps`, please provide that argument."
                         % name)
    return func(optimizer, num_warmup_steps=num_warmup_steps,
                num_training_steps=num_training_steps, **kwargs)

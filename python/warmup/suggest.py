"""warmup.suggest(): how long to warm up and at what peak LR (wu_suggest_warmup, the rules of
docs/SUGGEST.md), as `warmup suggest` prints them."""
import ctypes
import math
from dataclasses import dataclass, field
from typing import List, Optional

from . import _lib
from .schedule import Schedule, _float, _int

OPTIMIZERS = ("sgd", "adam", "adamw", "radam")          # wu_optim_kind order
SCENARIOS = ("none", "small-dataset", "bert-finetune", "vit", "large-model", "large-batch")
DECAYS = ("cosine", "linear", "constant", "wsd")        # wu_suggest_decay order


@dataclass(frozen=True)
class SuggestRule:
    """One rule the suggester evaluated (wu_suggest_rule)."""
    name: str       # "percentage of total steps"
    source: str     # "Goyal et al. 2017"
    low: int        # the range the rule allows, in steps
    high: int
    steps: int      # the rule's own choice within it
    note: str       # the worked numbers


@dataclass(frozen=True)
class Suggestion:
    """What warmup.suggest() recommends (wu_suggestion)."""
    spec: str                   # native spec, e.g. "warmup(32000) > cosine"
    hf_spec: str                # the Hugging Face equivalent
    lr: Optional[float]         # the recommended peak LR; None when none can be said
    lr_rule: str                # how the LR was obtained
    warmup_steps: int           # the recommendation
    total_steps: int            # as resolved
    steps_per_epoch: int        # as resolved (0: unknown)
    rule: str                   # the name of the rule that gave warmup_steps
    why: str                    # why that rule
    conflicts: str              # where the rules disagree ("" when they agree)
    rules: List[SuggestRule] = field(default_factory=list)  # every rule evaluated
    picked: int = 0             # index of `rule` in rules

    def schedule(self):
        """The suggested spec as a warmup.Schedule (at lr, or 1.0 when there is none)."""
        return Schedule(self.spec, self.lr or 1.0, self.total_steps,
                        self.steps_per_epoch or None)


def _choice(name, v, names):
    if not isinstance(v, str):
        raise TypeError("%s must be a str (one of %s), not %s"
                        % (name, ", ".join(names), type(v).__name__))
    key = v.strip().lower().replace("_", "-")
    if key not in names:
        raise ValueError("%s must be one of %s, got %r" % (name, ", ".join(names), v))
    return names.index(key)


def _opt_int(name, v):
    return 0 if v is None else _int(name, v, minimum=1)


def _opt_float(name, v):
    return 0.0 if v is None else _float(name, v)


def _s(b):
    return b.decode("utf-8", "replace")


def suggest(total_steps=None, *, epochs=None, steps_per_epoch=None, dataset_size=None,
            optimizer="adamw", beta2=None, batch=None, base_batch=None, base_lr=None,
            base_warmup=None, lr=None, scenario=None, decay=None, accumulation=None):
    """Recommend a warmup length and peak LR, e.g. the guide's large-batch case:

        warmup.suggest(100000, optimizer="sgd", base_lr=1e-4, base_batch=256,
                       base_warmup=1000, batch=8192)

    The run: total_steps, or epochs with steps_per_epoch (or with dataset_size and batch).
    optimizer: "sgd", "adam", "adamw" (default) or "radam"; beta2: Adam's (default 0.999).
    base_batch / base_lr / base_warmup: a reference with a known-good LR and warmup, scaled to
    batch; accumulation: micro-batches per optimizer update (one step is one update, whose
    batch is batch x accumulation); lr: a peak LR to keep as it is. scenario: "small-dataset", "bert-finetune", "vit",
    "large-model" or "large-batch". decay: what follows the warmup: "cosine" (default),
    "linear" (default for bert-finetune), "constant" or "wsd".
    Arguments the rules refuse raise ValueError with the library's message (it names the
    argument); a peak LR that is not finite raises ValueError, as `warmup suggest` refuses it."""
    ein = _lib.WuSuggestIn()
    ein.total_steps = _opt_int("total_steps", total_steps)
    ein.epochs = _opt_float("epochs", epochs)
    ein.steps_per_epoch = _opt_int("steps_per_epoch", steps_per_epoch)
    ein.dataset_size = _opt_int("dataset_size", dataset_size)
    ein.optimizer = _choice("optimizer", optimizer, OPTIMIZERS)
    if beta2 is not None:
        b2 = _float("beta2", beta2, positive=False)
        if not 0.0 <= b2 < 1.0:
            raise ValueError("beta2 must be in [0, 1) (Adam divides by 1 - beta2), got %r"
                             % beta2)
        ein.beta2 = b2
    ein.batch = _opt_int("batch", batch)
    ein.base_batch = _opt_int("base_batch", base_batch)
    ein.base_lr = _opt_float("base_lr", base_lr)
    ein.base_warmup = _opt_int("base_warmup", base_warmup)
    ein.accumulation = _opt_int("accumulation", accumulation)
    ein.lr = _opt_float("lr", lr)
    ein.scenario = 0 if scenario is None else _choice("scenario", scenario, SCENARIOS)
    if decay is None:
        ein.decay = DECAYS.index("linear") if ein.scenario == SCENARIOS.index("bert-finetune") \
            else DECAYS.index("cosine")
    else:
        ein.decay = _choice("decay", decay, DECAYS)
    out = _lib.WuSuggestion()
    err = _lib.WuError()
    if _lib.lib.wu_suggest_warmup(ctypes.byref(out), ctypes.byref(ein), ctypes.byref(err)) != 0:
        raise ValueError("warmup.suggest: " + _s(err.msg))
    if not math.isfinite(out.lr):
        raise ValueError("warmup.suggest: the suggested peak LR is not finite (%s); give a "
                         "smaller base_lr or lr" % _s(out.lr_rule))
    rules = [SuggestRule(_s(r.name), _s(r.source), r.low, r.high, r.steps, _s(r.note))
             for r in out.rules[:out.nrules]]
    return Suggestion(spec=_s(out.spec), hf_spec=_s(out.hf_spec),
                      lr=out.lr if out.lr > 0 else None, lr_rule=_s(out.lr_rule),
                      warmup_steps=out.warmup_steps, total_steps=out.total_steps,
                      steps_per_epoch=out.steps_per_epoch,
                      rule=rules[out.picked].name if rules else "", why=_s(out.why),
                      conflicts=_s(out.conflicts), rules=rules, picked=out.picked)

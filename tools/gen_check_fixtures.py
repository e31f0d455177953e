#!/usr/bin/python3
"""gen_check_fixtures.py - LR logs written by real torch training loops, for `warmup check`.

Each loop trains a tiny model (nn.Linear(4, 1), AdamW, lr 1e-3) with Hugging Face's cosine
schedule (get_cosine_schedule_with_warmup's formula as a torch LambdaLR: 10 warmup steps,
100 training steps) and logs the LR each update used. One loop is correct; each of the others
has one of the bugs of docs/CHECK.md. The logs go to tests/fixtures/check/ in the formats
`warmup check` reads: warmup's metrics.csv, PyTorch Lightning CSVLogger's metrics.csv
(lr-AdamW column, one row per logged metric), JSON lines, and Hugging Face Trainer's
trainer_state.json (log_history, logged after the update: step s holds get_last_lr() after s
updates, the LR of update s). tests/test_check.sh checks each against the spec
hf:cosine(num_warmup_steps=10) with --lr 1e-3 --steps 100 and the diagnosis it must get.

Run with Debian's python3-torch (the committed fixtures came from torch 1.13):
    /usr/bin/python3 tools/gen_check_fixtures.py [OUTDIR]
"""
import copy
import json
import math
import os
import sys

import torch

LR, W, T = 1e-3, 10, 100
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "check")


def hf_cosine(warmup, total):
    """transformers.get_cosine_schedule_with_warmup's lr_lambda (num_cycles=0.5)."""
    def f(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))
    return f


def setup(total=T, seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_cosine(W, total))
    return model, opt, sched


def batch(step):
    g = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(8, 4, generator=g)
    return x, x.sum(1, keepdim=True)


def loss_of(model, step):
    x, y = batch(step)
    return torch.nn.functional.mse_loss(model(x), y)


def write_csv(name, rows, header=("step", "lr", "loss")):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join("" if v is None else repr(v) if isinstance(v, float) else str(v)
                             for v in r) + "\n")


def correct(steps=T, every=1, total=T):
    """The loop of every tutorial: optimizer.step(), then scheduler.step()."""
    model, opt, sched = setup(total)
    rows = []
    for s in range(steps):
        lr = opt.param_groups[0]["lr"]
        loss = loss_of(model, s)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if s % every == 0:
            rows.append((s, lr, float(loss)))
    return rows


def sched_first():
    """scheduler.step() before optimizer.step(): every update uses the next step's LR."""
    model, opt, sched = setup()
    rows = []
    for s in range(T):
        loss = loss_of(model, s)
        opt.zero_grad()
        loss.backward()
        sched.step()
        rows.append((s, opt.param_groups[0]["lr"], float(loss)))
        opt.step()
    return rows


def resumed(bug, every=5, stop=60, ckpt=40):
    """Train to `stop`, crash, resume from the checkpoint of step `ckpt`. bug "replay": the
    scheduler is stepped ckpt times again after its state is loaded; bug "fresh": a new
    scheduler is made and its state is never loaded (it starts at 0)."""
    model, opt, sched = setup()
    rows, saved = [], None
    for s in range(stop):
        if s == ckpt:
            saved = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()),
                     copy.deepcopy(sched.state_dict()))
        lr = opt.param_groups[0]["lr"]
        loss = loss_of(model, s)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if s % every == 0 and s < ckpt:
            rows.append((s, lr, float(loss)))
    model, opt, sched = setup()
    model.load_state_dict(saved[0])
    opt.load_state_dict(saved[1])
    if bug == "replay":
        sched.load_state_dict(saved[2])
        for _ in range(ckpt):
            sched.step()
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_cosine(W, T))
    for s in range(ckpt, T):
        lr = opt.param_groups[0]["lr"]
        loss = loss_of(model, s)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if s % every == 0:
            rows.append((s, lr, float(loss)))
    return rows


def accumulate(acc=4, updates=T // 4):
    """Gradient accumulation with scheduler.step() on every micro-batch."""
    model, opt, sched = setup()
    rows = []
    for m in range(acc * updates):
        loss = loss_of(model, m) / acc
        loss.backward()
        if (m + 1) % acc == 0:
            rows.append((m // acc, opt.param_groups[0]["lr"], float(loss) * acc))
            opt.step()
            opt.zero_grad()
        sched.step()
    return rows


def per_worker(workers=2, updates=T // 2):
    """accelerate-style: the prepared scheduler steps once per process on every update."""
    model, opt, sched = setup()
    rows = []
    for s in range(updates):
        lr = opt.param_groups[0]["lr"]
        loss = loss_of(model, s)
        opt.zero_grad()
        loss.backward()
        opt.step()
        for _ in range(workers):
            sched.step()
        rows.append((s, lr, float(loss)))
    return rows


def lightning(rows, every=10):
    """Lightning's CSVLogger: columns sorted, the LR monitor's row apart from the loss row."""
    out = []
    for s, lr, loss in rows:
        if s % every == 0:
            out.append((None, lr, s, None))
            out.append((0, None, s, loss))
    return out


def trainer_state(rows, every=5, epochs=1.0):
    """HF Trainer: logged after the update (step = global_step = updates done, learning_rate =
    get_last_lr(), the LR of update `step`), with evaluation and summary entries between."""
    hist = []
    lr_after = {s: lr for s, lr, _ in rows}
    for s, _, loss in rows:
        g = s + 1
        if g % every == 0 and g in lr_after:
            hist.append({"epoch": round(epochs * g / T, 2), "grad_norm": 1.0,
                         "learning_rate": lr_after[g], "loss": round(loss, 4), "step": g})
        if g % 50 == 0:
            hist.append({"epoch": round(epochs * g / T, 2), "eval_loss": round(loss, 4),
                         "eval_runtime": 0.1, "step": g})
    hist.append({"epoch": epochs, "step": T, "total_flos": 0, "train_loss": 1.0,
                 "train_runtime": 1.0})
    return {"best_metric": None, "epoch": epochs, "global_step": T, "is_hyper_param_search": False,
            "log_history": hist, "logging_steps": every, "max_steps": T, "num_train_epochs": 1,
            "total_flos": 0, "train_batch_size": 8}


def main():
    os.makedirs(OUT, exist_ok=True)
    ok = correct()
    write_csv("correct.csv", ok)
    write_csv("correct_every7.csv", correct(every=7))
    write_csv("sched_first.csv", sched_first())
    with open(os.path.join(OUT, "onebased.jsonl"), "w") as f:
        for s, lr, loss in ok:
            f.write(json.dumps({"step": s + 1, "lr": lr, "loss": loss}) + "\n")
    write_csv("resume_replay.csv", resumed("replay"))
    write_csv("resume_fresh.csv", resumed("fresh"))
    write_csv("accumulate4.csv", accumulate())
    write_csv("lightning_workers2.csv", lightning(per_worker(), every=5),
              ("epoch", "lr-AdamW", "step", "train_loss"))
    write_csv("lightning_correct.csv", lightning(ok), ("epoch", "lr-AdamW", "step", "train_loss"))
    write_csv("horizon400.csv", correct(total=4 * T))
    write_csv("float32.csv", [(s, float(torch.tensor(lr, dtype=torch.float32)), loss)
                              for s, lr, loss in ok])
    # the same columns in another order, with a header Python's csv module would write
    write_csv("reordered.csv", [(loss, s, lr) for s, lr, loss in correct(every=3)],
              ("loss", "global_step", "learning_rate"))
    # HF Trainer: the correct run, and a resume whose scheduler state was lost (no scheduler.pt)
    with open(os.path.join(OUT, "trainer_state.json"), "w") as f:
        json.dump(trainer_state(ok), f, indent=2)
    with open(os.path.join(OUT, "trainer_state_restart.json"), "w") as f:
        json.dump(trainer_state(resumed("fresh", every=1)), f, indent=2)
    print("wrote the fixtures to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()

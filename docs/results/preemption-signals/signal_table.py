#!/usr/bin/env python3
"""The signal table of issue 34: SIGTERM and SIGINT at random moments of one training, chained.

One training is stopped by a signal at each of 2N random moments (N SIGTERM, N SIGINT, in a random order) and
continued with ``--resume`` after each stop, until it finishes: the cost is about one training plus 2N start-ups,
not 2N trainings. An uninterrupted reference run with the same options and seed is trained first; the chained
run is then compared with it bit for bit (the final ``model-weights.bin``, every step's training loss from the
TensorBoard events, every epoch's record and the final accuracies in ``result.json``). Then copies of a stop's
checkpoint are damaged (one bit flipped in the middle, the end cut off, a wrong stored checksum) and ``--resume``
is run on each, recording its exit status and message.

Per interruption it records: the signal, the moment (the step it was aimed at, seconds since the process
started and since the segment's first step), seconds from the signal to the exit, the exit status, the steps
done when the signal came (from the TensorBoard events' wall times, which the training writes after every
step), the step the checkpoint holds (its header) and the steps lost (done at the signal but not in the
checkpoint: must be 0).

Only the Python standard library. Writes OUT/signal-table.json and OUT/signal-table.md. See signal-table.sh;
``signal_table.py --render OUT/signal-table.json`` writes the markdown of a finished measurement again.
"""
import argparse
import glob
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import threading
import time

SIGNALS = {"TERM": signal.SIGTERM, "INT": signal.SIGINT}
EXPECTED_STATUS = {"TERM": 143, "INT": 130}
# Fields of result.json that are timings (differ between any two runs) or say how the run went, not what it computed.
TIMING_KEYS = {"train_seconds", "wall_seconds", "batch_wait_seconds", "resumed_times", "provenance", "execution",
               "options"}


# ---------------------------------------------------------------------------------------------------------------
# TensorBoard events: TFRecord framing and the few Event / Summary fields the training writes.

def _varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf):
    """(field number, wire type, value) of a protobuf message; value bytes for length-delimited, raw otherwise."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value = buf[i:i + 8]
            i += 8
        elif wire == 2:
            n, i = _varint(buf, i)
            value = buf[i:i + n]
            i += n
        elif wire == 5:
            value = buf[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield field, wire, value


def read_events(folder):
    """Every train/loss event under folder: list of (step, wall_time, loss float32 bits as int, loss)."""
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "**", "events.out.tfevents.*"), recursive=True)):
        with open(path, "rb") as f:
            data = f.read()
        i = 0
        while i + 12 <= len(data):
            (length,) = struct.unpack_from("<Q", data, i)
            if i + 12 + length + 4 > len(data):
                break  # a record being written
            record = data[i + 12:i + 12 + length]
            i += 12 + length + 4
            wall, step, loss_bits = None, 0, None
            for field, wire, value in _fields(record):
                if field == 1 and wire == 1:
                    (wall,) = struct.unpack("<d", value)
                elif field == 2 and wire == 0:
                    step = value
                elif field == 5 and wire == 2:
                    for f2, w2, v2 in _fields(value):
                        if f2 != 1 or w2 != 2:
                            continue
                        tag, simple = None, None
                        for f3, w3, v3 in _fields(v2):
                            if f3 == 1 and w3 == 2:
                                tag = v3.decode("utf-8", "replace")
                            elif f3 == 2 and w3 == 5:
                                simple = v3
                        if tag == "train/loss" and simple is not None:
                            loss_bits = struct.unpack("<I", simple)[0]
            if loss_bits is not None:
                out.append((step, wall, loss_bits, struct.unpack("<f", struct.pack("<I", loss_bits))[0]))
    return out


def checkpoint_header(path):
    """The JSON header of a checkpoint.bin (layout AIRBENCH-CHECKPOINT-2: writeUTF magic, long length, int n, JSON)."""
    with open(path, "rb") as f:
        data = f.read(1 << 22)
    (n,) = struct.unpack_from(">H", data, 0)
    magic = data[2:2 + n].decode()
    i = 2 + n
    if magic.endswith("-2"):
        i += 8
    (m,) = struct.unpack_from(">i", data, i)
    return json.loads(data[i + 4:i + 4 + m])


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Running the trainer.

class Trainer:
    def __init__(self, args):
        self.prefix = shlex.split(args.java) + ["-jar", args.jar]
        self.data_dir = args.data_dir
        self.timeout = args.segment_timeout

    def start(self, options, output, log, resume_dir=None):
        if resume_dir:
            cmd = self.prefix + ["--resume", resume_dir]
        else:
            cmd = self.prefix + options + ["--data-dir", self.data_dir, "--output", output]
        logf = open(log, "wb")
        logf.write(("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n").encode())
        logf.flush()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        proc.logf = logf
        proc.started = time.time()
        proc.cmd = cmd
        return proc


def ignored_signals(pid):
    """The signals (of TERM, INT) that process pid ignores, from /proc (Linux); None where that is not readable."""
    try:
        with open("/proc/%d/status" % pid) as f:
            mask = next(int(ln.split()[1], 16) for ln in f if ln.startswith("SigIgn:"))
    except (OSError, StopIteration):
        return None
    return [name for name, sig in SIGNALS.items() if mask >> (int(sig) - 1) & 1]


def default_signals():
    """SIGTERM and SIGINT back to their default action, in this process and so in the trainings it starts.

    An ignored signal stays ignored across exec, and a JVM started ignoring SIGINT keeps it ignored (the training's
    handler is not installed; it warns "SIGINT is ignored by this process"). A script that starts this harness with
    '&' (no job control) starts it ignoring SIGINT: without this, every SIGINT of the table would do nothing.
    """
    for sig in SIGNALS.values():
        signal.signal(sig, signal.SIG_DFL)


def wait_exit(proc, timeout):
    """Blocks in waitpid (precise exit time); a watchdog kills the process (ours) after timeout seconds."""
    timer = threading.Timer(timeout, lambda: proc.poll() is None and proc.kill())
    timer.start()
    try:
        status = proc.wait()
    finally:
        timer.cancel()
    t = time.time()
    proc.logf.close()
    # Popen gives -N for death by signal N; the shell says 128 + N.
    return (128 - status if status < 0 else status), t


def invocation_folder(output, timeout, proc):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [d for d in glob.glob(os.path.join(output, "*")) if os.path.isfile(os.path.join(d, "invocation.json"))]
        if found:
            return sorted(found)[-1]
        if proc.poll() is not None:
            return None
        time.sleep(0.2)
    return None


def read_log(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


STOP_LINE = re.compile(r"seed (\d+) stopped \((SIG\w+)\) after step (\d+) of (\d+) \(([^)]*)\)")


def run_reference(args, trainer, out):
    folder = os.path.join(out, "reference")
    os.makedirs(folder, exist_ok=True)
    log = os.path.join(folder, "reference.log")
    proc = trainer.start(args.options, os.path.join(folder, "runs"), log)
    status, t_end = wait_exit(proc, trainer.timeout)
    inv = invocation_folder(os.path.join(folder, "runs"), 1, proc)
    if status != 0 or inv is None:
        sys.exit("the reference run failed (status %d); see %s" % (status, log))
    return {"folder": inv, "log": log, "seconds": t_end - proc.started}


def step_seconds(events):
    """Median seconds between successive steps' events (the training's own pace, epoch-end evaluations aside)."""
    events = sorted(events)
    gaps = [b[1] - a[1] for a, b in zip(events, events[1:]) if b[0] == a[0] + 1]
    return statistics.median(gaps) if gaps else 1.0


def plan_moments(rng, total_steps, per_signal):
    """2N targets: after step s has finished, plus a fraction f of a step; s spread over the run, two apart."""
    k = 2 * per_signal
    # s_i = x_i + i with x distinct in [1, total - 1 - k]: targets at least two steps apart, the last <= total - 2
    # (a stop at step s + 1 leaves the resume a step to take before the next target), when the run is long enough.
    room = total_steps - 1 - k
    if room >= k:
        xs = sorted(rng.sample(range(1, room + 1), k))
        targets = [x + i for i, x in enumerate(xs)]
    else:
        targets = sorted(rng.choice(range(1, max(2, total_steps))) for _ in range(k))
    order = ["TERM"] * per_signal + ["INT"] * per_signal
    rng.shuffle(order)
    return [{"signal": sig, "after_step": s, "fraction_of_step": round(rng.random(), 3)}
            for sig, s in zip(order, targets)]


def chained_run(args, trainer, out, plan, pace):
    folder = os.path.join(out, "chained")
    runs = os.path.join(folder, "runs")
    os.makedirs(folder, exist_ok=True)
    inv = None
    interruptions = []
    segments = []
    copied_checkpoint = None
    finished = False
    for n, moment in enumerate(plan + [None]):
        log = os.path.join(folder, "segment-%02d.log" % n)
        proc = trainer.start(args.options, runs, log, resume_dir=inv)
        if inv is None:
            inv = invocation_folder(runs, trainer.timeout, proc)
            if inv is None:
                status, _ = wait_exit(proc, 60)
                sys.exit("the chained run created no run folder (status %d); see %s" % (status, log))
        tb = os.path.join(inv, "seed-0", "tensorboard")
        segment = {"segment": n, "log": os.path.relpath(log, out), "command": " ".join(proc.cmd)}
        segments.append(segment)
        if moment is None:
            status, t_end = wait_exit(proc, trainer.timeout)
            segment.update(status=status, seconds=round(t_end - proc.started, 1), signal=None)
            finished = status == 0
            break
        target = moment["after_step"]
        sent = None
        first_step_time = None
        while proc.poll() is None:
            events = [e for e in read_events(tb) if e[1] >= proc.started]
            if events and first_step_time is None:
                first_step_time = min(e[1] for e in events)
            if moment.get("late") == "final evaluation":
                # After the training loop (its last line before the final evaluation), not merely after the last
                # step's event: the last step's epoch-end evaluation and checkpoint come between the two.
                reached = "the training loop waited" in read_log(log)
            else:
                reached = bool(events) and max(e[0] for e in events) >= target
            if reached:
                time.sleep(moment["fraction_of_step"] * pace)
                if proc.poll() is not None:
                    break
                moment_ignored = ignored_signals(proc.pid)
                t_signal = time.time()
                os.kill(proc.pid, SIGNALS[moment["signal"]])
                sent = t_signal
                break
            if time.time() - proc.started > trainer.timeout:
                proc.kill()
                break
            time.sleep(0.05)
        status, t_end = wait_exit(proc, trainer.timeout)
        record = dict(moment)
        text = read_log(log)
        if sent is None:
            # The moment came after the run had finished (or the segment failed before it).
            record.update(sent=False, exit_status=status, note="the run ended before this moment: no signal sent")
            interruptions.append(record)
            segment.update(status=status, seconds=round(t_end - proc.started, 1), signal=None)
            finished = status == 0 and os.path.exists(os.path.join(inv, "seed-0", "result.json"))
            for rest in plan[n + 1:]:
                interruptions.append(dict(rest, sent=False, note="not reached: the run had finished"))
            break
        all_events = read_events(tb)
        done_at_signal = max([e[0] for e in all_events if e[1] <= sent] or [0])
        ckpt = os.path.join(inv, "seed-0", "checkpoint.bin")
        ckpt_step = checkpoint_header(ckpt)["steps"] if os.path.exists(ckpt) else None
        stop = STOP_LINE.search(text)
        continue_line = next((ln for ln in text.splitlines() if "Continue with:" in ln), None)
        received = ("SIG%s received: stopping after the current training step" % moment["signal"]) in text
        record.update(
            sent=True,
            seconds_after_start=round(sent - proc.started, 2),
            seconds_after_first_step=None if first_step_time is None else round(sent - first_step_time, 2),
            seconds_to_exit=round(t_end - sent, 3),
            trainer_ignored_signals=moment_ignored,
            exit_status=status,
            expected_status=EXPECTED_STATUS[moment["signal"]],
            received_line=received,
            steps_done_at_signal=done_at_signal,
            checkpoint_step=ckpt_step,
            stop_line_step=int(stop.group(3)) if stop else None,
            stop_line_where=stop.group(5) if stop else None,
            continue_line=continue_line.split("WARN", 1)[-1].strip() if continue_line else None,
            steps_lost=None if ckpt_step is None else max(0, done_at_signal - ckpt_step),
            # 1: the step running at the signal was finished and kept; 0: the signal came between two steps
            # (an epoch end's evaluation or checkpoint write).
            steps_finished_after_signal=None if ckpt_step is None else ckpt_step - done_at_signal,
        )
        segment.update(status=status, seconds=round(t_end - proc.started, 1), signal=moment["signal"])
        interruptions.append(record)
        if copied_checkpoint is None and ckpt_step is not None:
            # The run folder as this stop left it, for the damaged copies (corrupt/intact/<invocation>).
            copied_checkpoint = os.path.join(out, "corrupt", "intact", os.path.basename(inv))
            shutil.copytree(inv, copied_checkpoint)
        if status == 0 and os.path.exists(os.path.join(inv, "seed-0", "result.json")):
            # The signal came during the final evaluation: the run finished and wrote its results.
            record["note"] = "the signal came during the final evaluation: the run finished (status 0)"
            finished = True
            for rest in plan[n + 1:]:
                interruptions.append(dict(rest, sent=False, note="not reached: the run had finished"))
            break
        if status not in (130, 143):
            record["note"] = "unexpected exit status; see " + os.path.relpath(log, out)
    return {"folder": inv, "finished": finished, "interruptions": interruptions, "segments": segments,
            "checkpoint_copy": copied_checkpoint}


# ---------------------------------------------------------------------------------------------------------------
# Comparison with the reference.

def compare(reference_dir, chained_dir, interruptions):
    ref_seed = os.path.join(reference_dir, "seed-0")
    chn_seed = os.path.join(chained_dir, "seed-0")
    result = {}
    rw, cw = os.path.join(ref_seed, "model-weights.bin"), os.path.join(chn_seed, "model-weights.bin")
    result["weights_reference_sha256"] = sha256(rw)
    result["weights_chained_sha256"] = sha256(cw) if os.path.exists(cw) else None
    result["weights_identical"] = result["weights_reference_sha256"] == result["weights_chained_sha256"]
    with open(os.path.join(ref_seed, "result.json")) as f:
        ref = json.load(f)
    chained_result = os.path.join(chn_seed, "result.json")
    chn = json.load(open(chained_result)) if os.path.exists(chained_result) else {}
    differing = []
    for key in sorted(set(ref) | set(chn)):
        if key in TIMING_KEYS:
            continue
        a, b = ref.get(key), chn.get(key)
        if key == "history":
            a = [{k: v for k, v in e.items() if k != "train_seconds"} for e in (a or [])]
            b = [{k: v for k, v in e.items() if k != "train_seconds"} for e in (b or [])]
        if a != b:
            differing.append(key)
    result["result_json_differing_fields"] = differing
    result["result_json_identical"] = not differing and bool(chn)
    result["epochs_compared"] = len(ref.get("history", []))
    result["tta_accuracy"] = {"reference": ref.get("tta_accuracy"), "chained": chn.get("tta_accuracy")}
    result["chained_resumed_times"] = chn.get("resumed_times")
    ref_losses = {e[0]: e[2] for e in read_events(os.path.join(ref_seed, "tensorboard"))}
    chn_events = read_events(os.path.join(chn_seed, "tensorboard"))
    chn_losses = {}
    duplicates_differ = []
    for step, _, bits, _ in chn_events:
        if step in chn_losses and chn_losses[step] != bits:
            duplicates_differ.append(step)
        chn_losses[step] = bits
    steps = sorted(ref_losses)
    mismatched = [s for s in steps if chn_losses.get(s) != ref_losses[s]]
    result["steps_compared"] = len(steps)
    result["steps_missing_in_chained"] = [s for s in steps if s not in chn_losses]
    result["steps_with_different_loss"] = mismatched
    result["steps_logged_twice_with_different_loss"] = duplicates_differ
    result["per_step_losses_identical"] = not mismatched and not duplicates_differ and bool(steps)
    # Per interruption: the steps its resume took (after its checkpoint, up to the next stop) have the reference's
    # losses bit for bit; "yes" also needs the run's final weights and result to be the reference's.
    sent = [r for r in interruptions if r.get("sent") and r.get("checkpoint_step") is not None]
    for i, r in enumerate(sent):
        lo = r["checkpoint_step"] + 1
        hi = sent[i + 1]["checkpoint_step"] if i + 1 < len(sent) else max(steps or [0])
        span = [s for s in steps if lo <= s <= hi]
        r["resumed_steps_checked"] = [lo, hi] if span else None
        # No steps left after a stop at the last step: its resume only evaluates; the final files tell.
        r["resumed_steps_identical"] = all(chn_losses.get(s) == ref_losses[s] for s in span) if span else None
        r["resume_bit_identical"] = (r["resumed_steps_identical"] is not False and result["weights_identical"]
                                     and result["result_json_identical"])
    return result


# ---------------------------------------------------------------------------------------------------------------
# Damaged checkpoints.

def crc32c(data):
    table = crc32c.table
    if table is None:
        table = crc32c.table = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
    c = 0xFFFFFFFF
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


crc32c.table = None


def damage(kind, path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if kind == "flipped-bit":
        where = len(data) // 2
        data[where] ^= 0x10
        what = "bit 4 of byte %d of %d flipped" % (where, len(data))
    elif kind == "truncated":
        cut = 5000 if len(data) > 10000 else len(data) // 2
        data = data[:-cut]
        what = "the last %d of %d bytes cut off" % (cut, len(data) + cut)
    elif kind == "wrong-checksum":
        stored = struct.unpack(">I", data[-4:])[0]
        wrong = stored ^ 0x00000001
        data[-4:] = struct.pack(">I", wrong)
        what = "the stored CRC32C %08x replaced by %08x (the contents untouched)" % (stored, wrong)
    else:
        raise ValueError(kind)
    with open(path, "wb") as f:
        f.write(data)
    return what


def corrupted_refusals(args, trainer, out, intact):
    results = []
    if intact is None:
        return results
    name = os.path.basename(intact.rstrip("/"))
    ckpt = os.path.join(intact, "seed-0", "checkpoint.bin")
    with open(ckpt, "rb") as f:
        whole = f.read()
    results_meta = {"stored_crc32c": "%08x" % struct.unpack(">I", whole[-4:])[0],
                    "computed_crc32c": "%08x" % crc32c(whole[:-4])}
    for kind in ("flipped-bit", "truncated", "wrong-checksum"):
        copy = os.path.join(out, "corrupt", kind, name)
        if os.path.exists(copy):
            shutil.rmtree(copy)
        shutil.copytree(intact, copy)
        what = damage(kind, os.path.join(copy, "seed-0", "checkpoint.bin"))
        log = os.path.join(out, "corrupt", kind + ".log")
        proc = trainer.start([], None, log, resume_dir=copy)
        refused_by_message = None
        deadline = time.time() + args.refusal_timeout
        while proc.poll() is None and time.time() < deadline:
            if "resuming seed" in read_log(log):
                refused_by_message = False  # it got past the check: stop this (our own) process
                break
            time.sleep(0.2)
        if proc.poll() is None:
            proc.kill()
        status, t_end = wait_exit(proc, 60)
        text = read_log(log)
        message = next((ln.strip() for ln in text.splitlines() if ln.startswith("error:")), None)
        results.append({
            "damage": kind, "what": what, "exit_status": status,
            "refused": refused_by_message is not False and status == 1 and message is not None
                       and "not loaded" in message,
            "seconds": round(t_end - proc.started, 1), "message": message, "log": os.path.relpath(log, out)})
    results.append({"intact_checkpoint_crc32c": results_meta})
    return results


# ---------------------------------------------------------------------------------------------------------------
# Output.

def yes_no(v):
    return "yes" if v else ("no" if v is not None else "-")


def markdown(report):
    lines = []
    c = report["comparison"]
    lines.append("Recipe %s, options `%s`, seed %s; %d interruptions planned (moment seed %d); jar `%s`."
                 % (report["recipe"], " ".join(report["options"]), report["seed"], len(report["plan"]),
                    report["moment_seed"], report["jar"]))
    lines.append("")
    lines.append("Reference (uninterrupted): %d steps, %.1f s wall; median %.2f s per step (TensorBoard events)."
                 % (report["total_steps"], report["reference"]["seconds"], report["seconds_per_step"]))
    lines.append("Chained run: %d segments, %.1f s wall in all, finished: %s."
                 % (len(report["chained"]["segments"]), sum(s.get("seconds", 0) for s in report["chained"]["segments"]),
                    yes_no(report["chained"]["finished"])))
    lines.append("")
    lines.append("| # | signal | moment (after step, + fraction of a step) | s after start | s after first step "
                 "| s to exit | exit status | steps done at signal | checkpoint step | steps lost "
                 "| running step kept | resume bit-identical |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(report["chained"]["interruptions"], 1):
        if not r.get("sent"):
            lines.append("| %d | SIG%s | %d + %.3f | - | - | - | %s | - | - | - | - | %s |"
                         % (i, r["signal"], r["after_step"], r["fraction_of_step"],
                            r.get("exit_status", "-"), r.get("note", "not sent")))
            continue
        status = "%d" % r["exit_status"] + ("" if r["exit_status"] == r["expected_status"] or r.get("late")
                                            else " (expected %d)" % r["expected_status"])
        kept = {1: "yes (finished)", 0: "between steps"}.get(r["steps_finished_after_signal"],
                                                               str(r["steps_finished_after_signal"]))
        lines.append("| %d | SIG%s | %d + %.3f | %.2f | %s | %.3f | %s | %d | %s | %s | %s | %s |" % (
            i, r["signal"], r["after_step"], r["fraction_of_step"], r["seconds_after_start"],
            "-" if r["seconds_after_first_step"] is None else "%.2f" % r["seconds_after_first_step"],
            r["seconds_to_exit"], status, r["steps_done_at_signal"],
            "-" if r["checkpoint_step"] is None else r["checkpoint_step"],
            "-" if r["steps_lost"] is None else r["steps_lost"], "-" if r["checkpoint_step"] is None else kept,
            r["note"] if r.get("note") else yes_no(r.get("resume_bit_identical"))))
    sent = [r for r in report["chained"]["interruptions"] if r.get("sent") and not r.get("late")]
    lines.append("")
    for sig in ("TERM", "INT"):
        xs = [r["seconds_to_exit"] for r in sent if r["signal"] == sig]
        if xs:
            lines.append("- SIG%s: %d sent; signal to exit %.2f s median, %.2f .. %.2f s; exit status %s; steps lost %s."
                         % (sig, len(xs), statistics.median(xs), min(xs), max(xs),
                            sorted({r["exit_status"] for r in sent if r["signal"] == sig}),
                            sorted({r["steps_lost"] for r in sent if r["signal"] == sig
                                    and r["steps_lost"] is not None})))
    lines.append("- Chained against reference: final `model-weights.bin` identical: %s (sha256 %s); per-step "
                 "training losses identical: %s (%d steps, float32 bits from the TensorBoard events); result.json "
                 "identical apart from timings: %s (%d epochs; differing fields: %s); TTA accuracy %s / %s; "
                 "resumed_times %s."
                 % (yes_no(c["weights_identical"]), c["weights_reference_sha256"][:12],
                    yes_no(c["per_step_losses_identical"]), c["steps_compared"], yes_no(c["result_json_identical"]),
                    c["epochs_compared"], ", ".join(c["result_json_differing_fields"]) or "none",
                    c["tta_accuracy"]["reference"], c["tta_accuracy"]["chained"], c["chained_resumed_times"]))
    lines.append("")
    lines.append("Damaged copies of a stop's checkpoint, each resumed with `--resume`:")
    lines.append("")
    lines.append("| damage | what | exit status | refused | message |")
    lines.append("|---|---|---|---|---|")
    for r in report["corrupted"]:
        if "damage" in r:
            lines.append("| %s | %s | %d | %s | `%s` |" % (r["damage"], r["what"], r["exit_status"],
                                                        yes_no(r["refused"]), r["message"]))
    return "\n".join(lines) + "\n"


def render(json_file):
    """The markdown of a finished measurement's signal-table.json, again (after a change of this script's tables)."""
    with open(json_file) as f:
        report = json.load(f)
    with open(os.path.join(os.path.dirname(os.path.abspath(json_file)), "signal-table.md"), "w") as f:
        f.write(markdown(report))
    print(markdown(report))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--render":
        return render(sys.argv[2])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jar", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--recipe", required=True)
    p.add_argument("--train-options", default="", help="more train options, one string: '--train-subset 5120'")
    p.add_argument("--seed", type=int, default=0, help="the training's seed")
    p.add_argument("--per-signal", type=int, default=10, help="interruptions per signal (SIGTERM and SIGINT)")
    p.add_argument("--moment-seed", type=int, default=1, help="seed of the random moments and signal order")
    p.add_argument("--out", required=True)
    p.add_argument("--java", default="nice -n 19 java", help="how java is started (default: nice -n 19 java)")
    p.add_argument("--segment-timeout", type=float, default=6 * 3600)
    p.add_argument("--refusal-timeout", type=float, default=600)
    p.add_argument("--late-moments", action="store_true",
                   help="after the 2N moments, two more: SIGTERM once the training loop has ended (it lands in the"
                        " final evaluation, which finishes: status 0) and one after the run's end (never sent)")
    p.add_argument("--reference", help="the folder of a finished reference run to reuse (else one is trained)")
    args = p.parse_args()
    default_signals()
    args.options = ["--recipe", args.recipe, "--seed", str(args.seed)] + shlex.split(args.train_options)
    if "--no-tensorboard" in args.options or any(o.startswith("--tensorboard") for o in args.options):
        sys.exit("the harness reads every step from the run's own TensorBoard events: drop --no-tensorboard and"
                 " --tensorboard from --train-options")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    trainer = Trainer(args)
    started = time.time()
    if args.reference:
        folder = os.path.abspath(args.reference)
        with open(os.path.join(folder, "seed-0", "result.json")) as f:
            wall = json.load(f)["wall_seconds"]
        reference = {"folder": folder, "log": None, "seconds": wall, "reused": True}
    else:
        reference = run_reference(args, trainer, out)
    ref_events = read_events(os.path.join(reference["folder"], "seed-0", "tensorboard"))
    total = json.load(open(os.path.join(reference["folder"], "seed-0", "result.json")))["steps"]
    pace = step_seconds(ref_events)
    rng = random.Random(args.moment_seed)
    plan = plan_moments(rng, total, args.per_signal)
    if args.late_moments:
        plan += [{"signal": "TERM", "after_step": total, "fraction_of_step": 0.5, "late": "final evaluation"},
                 {"signal": "INT", "after_step": total + 1, "fraction_of_step": 0.0, "late": "after the end"}]
    print("reference: %d steps, %.2f s per step; plan: %s" % (total, pace, plan), flush=True)
    chained = chained_run(args, trainer, out, plan, pace)
    comparison = compare(reference["folder"], chained["folder"], chained["interruptions"]) if chained["finished"] \
        else {"error": "the chained run did not finish"}
    corrupted = corrupted_refusals(args, trainer, out, chained["checkpoint_copy"])
    report = {"recipe": args.recipe, "options": args.options, "seed": args.seed, "moment_seed": args.moment_seed,
              "jar": args.jar, "data_dir": args.data_dir, "total_steps": total, "seconds_per_step": pace,
              "reference": reference, "plan": plan, "chained": chained, "comparison": comparison,
              "corrupted": corrupted, "harness_seconds": round(time.time() - started, 1)}
    with open(os.path.join(out, "signal-table.json"), "w") as f:
        json.dump(report, f, indent=2)
    if "error" not in comparison:
        with open(os.path.join(out, "signal-table.md"), "w") as f:
            f.write(markdown(report))
        print(markdown(report))
    else:
        print(json.dumps(report["chained"], indent=2))
        sys.exit(1)


if __name__ == "__main__":
    main()

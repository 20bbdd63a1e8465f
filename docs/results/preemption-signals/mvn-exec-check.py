#!/usr/bin/env python3
"""SIGTERM and SIGINT under `mvn exec:java` (issue 34): the same stop as under `java -jar`?

From the repository root (after `mvn -o -q -DskipTests package`), niced:

    nice -n 19 python3 docs/results/preemption-signals/mvn-exec-check.py OUT [REFERENCE_RUN_FOLDER]

1. `mvn -o -q exec:java -Dexec.args="--recipe 94 --train-subset 2048 --epochs 2 --batch-size 256 ..."`; SIGTERM
   to the Maven JVM (`mvn` execs java, so its pid is the JVM's) once step 4 is done; records the exit status,
   the seconds to the exit, the stop line and the resume command printed, the checkpoint's step.
2. A copy of the run folder; the original resumed with `java -jar JAR --resume DIR` to the end.
3. The copy resumed with `mvn -o -q exec:java -Dtrain.resume=DIR`; SIGINT once step 10 is done; then
   `mvn -o -q exec:java -Dtrain.resume=DIR` again to the end.
4. Both final model-weights.bin compared with each other and with REFERENCE_RUN_FOLDER's (an uninterrupted
   `java -jar` run of the same options, e.g. the harness check's reference), byte for byte.
Writes OUT/mvn-exec-check.json and one log per step.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signal_table as st  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DATA = os.environ.get("AIRBENCH_DATA", "/work/shared/data/cifar-10-binary.tar.gz")
JAR = os.path.join(ROOT, "train", "target", "airbench-train.jar")
OPTIONS = "--recipe 94 --train-subset 2048 --epochs 2 --batch-size 256"


def launch(cmd, log):
    f = open(log, "wb")
    f.write(("$ " + " ".join(cmd) + "\n").encode())
    f.flush()
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    p.logf, p.started = f, time.time()
    return p


def signal_after(p, tb, step, sig):
    """Sends sig once this process's events show `step` done; returns the time it was sent (None: it ended first)."""
    while p.poll() is None:
        events = [e for e in st.read_events(tb) if e[1] >= p.started] if os.path.isdir(tb) else []
        if events and max(e[0] for e in events) >= step:
            p.ignored = st.ignored_signals(p.pid)
            t = time.time()
            os.kill(p.pid, sig)
            return t
        time.sleep(0.05)
    return None


def finish(p):
    status = p.wait()
    t = time.time()
    p.logf.close()
    return (128 - status if status < 0 else status), t


def stop_record(p, log, inv, sent, sig_name):
    status, t_end = finish(p)
    text = st.read_log(log)
    ckpt = os.path.join(inv, "seed-0", "checkpoint.bin")
    done = max([e[0] for e in st.read_events(os.path.join(inv, "seed-0", "tensorboard")) if e[1] <= sent] or [0])
    return {"signal": sig_name, "jvm_ignored_signals": getattr(p, "ignored", None), "exit_status": status, "seconds_to_exit": round(t_end - sent, 3),
            "steps_done_at_signal": done,
            "checkpoint_step": st.checkpoint_header(ckpt)["steps"] if os.path.exists(ckpt) else None,
            "received_line": next((ln.strip() for ln in text.splitlines() if "received: stopping" in ln), None),
            "stop_line": next((ln.strip() for ln in text.splitlines() if "Continue with:" in ln), None),
            "maven_error_lines": [ln.strip() for ln in text.splitlines() if ln.startswith("[ERROR]")][:5],
            "log": os.path.basename(log)}


def main():
    st.default_signals()  # else a SIGINT sent to a JVM started from a background job does nothing
    out = os.path.abspath(sys.argv[1])
    reference = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    os.makedirs(out, exist_ok=True)
    runs = os.path.join(out, "runs")
    mvn = ["nice", "-n", "19", "mvn", "-o", "-q", "exec:java"]
    report = {}

    log = os.path.join(out, "1-mvn-start-sigterm.log")
    p = launch(mvn + ["-Dexec.args=%s --data-dir %s --output %s" % (OPTIONS, DATA, runs)], log)
    inv = st.invocation_folder(runs, 3600, p)
    sent = signal_after(p, os.path.join(inv, "seed-0", "tensorboard"), 4, signal.SIGTERM)
    report["mvn_start_sigterm"] = stop_record(p, log, inv, sent, "TERM")
    copy = inv + "-copy"
    shutil.copytree(inv, copy)

    log = os.path.join(out, "2-java-jar-resume.log")
    p = launch(["nice", "-n", "19", "java", "-jar", JAR, "--resume", inv], log)
    status, t = finish(p)
    report["java_jar_resume"] = {"exit_status": status, "seconds": round(t - p.started, 1),
                                 "result": os.path.exists(os.path.join(inv, "seed-0", "result.json")),
                                 "log": os.path.basename(log)}

    log = os.path.join(out, "3-mvn-resume-sigint.log")
    p = launch(mvn + ["-Dtrain.resume=" + copy], log)
    sent = signal_after(p, os.path.join(copy, "seed-0", "tensorboard"), 10, signal.SIGINT)
    report["mvn_resume_sigint"] = stop_record(p, log, copy, sent, "INT")

    log = os.path.join(out, "4-mvn-resume-to-end.log")
    p = launch(mvn + ["-Dtrain.resume=" + copy], log)
    status, t = finish(p)
    report["mvn_resume_to_end"] = {"exit_status": status, "seconds": round(t - p.started, 1),
                                   "result": os.path.exists(os.path.join(copy, "seed-0", "result.json")),
                                   "log": os.path.basename(log)}

    weights = {"java_jar_resumed": os.path.join(inv, "seed-0", "model-weights.bin"),
               "mvn_resumed": os.path.join(copy, "seed-0", "model-weights.bin")}
    if reference:
        weights["reference_uninterrupted"] = os.path.join(reference, "seed-0", "model-weights.bin")
    report["weights_sha256"] = {k: st.sha256(v) if os.path.exists(v) else None for k, v in weights.items()}
    report["weights_all_identical"] = len(set(report["weights_sha256"].values())) == 1 \
        and None not in report["weights_sha256"].values()
    with open(os.path.join(out, "mvn-exec-check.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs one instance of a systemd service unit the way systemd would restart
it, for tests on machines without systemd as PID 1 (containers, CI).

Reads the unit's [Service] section and its drop-ins (UNIT.d/*.conf, in name
order, later ones win) and applies: ExecStart= (prefixes - @ : + ! ignored,
specifiers %i %I %n %p %%, ${VAR} and $VAR from Environment=), Environment=,
Restart= (no, always, on-failure, on-abnormal), RestartSec=, RestartSteps=
and RestartMaxDelaySec= (systemd 254's growing delay: the n-th restart waits
RestartSec * (Max / RestartSec) ** ((n - 1) / Steps), Max after Steps),
SuccessExitStatus= (numbers and signal names). on-failure, as in systemd:
a non-zero exit not listed in SuccessExitStatus, or death by a signal other
than SIGHUP, SIGINT, SIGTERM and SIGPIPE.

usage: unit_supervise.py UNIT_FILE INSTANCE [--exe PATH] [--env K=V]...
                         [--pidfile FILE] [--events FILE] [--log FILE]
  --exe      run PATH instead of ExecStart's program (an uninstalled build)
  --env      override an Environment= variable (paths of a test)
  --pidfile  the running service's pid, rewritten at each start
  --events   one line per start/exit/restart: "start PID", "exit PID STATUS",
             "restart N DELAY" (seconds), "stop"
SIGTERM or SIGINT stops the service (SIGTERM to it, as systemctl stop) and
the supervisor, with no restart.
"""
import glob
import os
import re
import shlex
import signal
import subprocess
import sys
import time

CLEAN_SIGNALS = {signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE}
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}


def seconds(text):
    """systemd time span ("1s", "500ms", "1min 30s", bare "2" = seconds)."""
    total, rest = 0.0, text.replace(" ", "")
    if re.fullmatch(r"[0-9.]+", rest):
        return float(rest)
    for num, unit in re.findall(r"([0-9.]+)([a-z]+)", rest):
        if unit not in UNITS:
            raise ValueError("unknown time unit in %r" % text)
        total += float(num) * UNITS[unit]
    return total


def read_service(path):
    """[Service] key -> list of values, from the unit then its drop-ins."""
    files = [path] + sorted(glob.glob(path + ".d/*.conf"))
    keys = {}
    for f in files:
        section = None
        for line in open(f):
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            if section != "Service" or "=" not in line:
                continue
            k, v = line.split("=", 1)
            k, v = k.strip(), v.strip()
            if v == "":
                keys.pop(k, None)  # an empty assignment resets a list
            else:
                keys.setdefault(k, []).append(v)
    return keys


def expand(word, env, unit_name, instance):
    spec = {"i": instance, "I": instance, "n": unit_name, "p": unit_name.split("@")[0], "%": "%"}
    word = re.sub(r"%(.)", lambda m: spec.get(m.group(1), m.group(0)), word)
    word = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), word)
    return re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), word)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    unit, instance, args = args[0], args[1], args[2:]
    opts = {"--exe": None, "--pidfile": None, "--events": None, "--log": None}
    overrides = {}
    while args:
        k = args.pop(0)
        if k == "--env":
            name, value = args.pop(0).split("=", 1)
            overrides[name] = value
        elif k in opts:
            opts[k] = args.pop(0)
        else:
            sys.exit("unit_supervise.py: unknown option %s" % k)
    svc = read_service(unit)
    unit_name = os.path.basename(unit).replace("@.", "@%s." % instance)
    env = {}
    for line in svc.get("Environment", []):
        for item in shlex.split(line):
            name, value = item.split("=", 1)
            env[name] = value
    env.update(overrides)
    exec_start = svc["ExecStart"][-1].lstrip("-@:+!")
    argv = [expand(w, env, unit_name, instance) for w in shlex.split(exec_start)]
    if opts["--exe"]:
        argv[0] = opts["--exe"]
    restart = svc.get("Restart", ["no"])[-1]
    delay0 = seconds(svc.get("RestartSec", ["100ms"])[-1])
    steps = int(svc.get("RestartSteps", ["0"])[-1])
    delay_max = seconds(svc.get("RestartMaxDelaySec", ["0"])[-1])
    success_codes, success_sigs = {0}, set()
    for line in svc.get("SuccessExitStatus", []):
        for w in line.split():
            if w.isdigit():
                success_codes.add(int(w))
            else:
                success_sigs.add(getattr(signal, w if w.startswith("SIG") else "SIG" + w))

    events = open(opts["--events"], "a", buffering=1) if opts["--events"] else None
    log = open(opts["--log"], "ab") if opts["--log"] else None

    def event(text):
        if events:
            events.write(text + "\n")

    stopping = [False]
    child = [None]

    def on_stop(signum, frame):
        stopping[0] = True
        if child[0] and child[0].poll() is None:
            child[0].send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    child_env = dict(os.environ)
    child_env.update(env)
    n_restarts = 0
    while not stopping[0]:
        child[0] = subprocess.Popen(argv, env=child_env, stdout=log, stderr=log,
                                    stdin=subprocess.DEVNULL)
        if opts["--pidfile"]:
            with open(opts["--pidfile"] + ".tmp", "w") as f:
                f.write("%d\n" % child[0].pid)
            os.rename(opts["--pidfile"] + ".tmp", opts["--pidfile"])
        event("start %d" % child[0].pid)
        status = child[0].wait()
        event("exit %d %d" % (child[0].pid, status))
        if stopping[0]:
            break
        sig = -status if status < 0 else 0
        clean = (status >= 0 and status in success_codes) or (sig and sig in success_sigs)
        if restart == "always":
            again = True
        elif restart == "on-failure":
            again = not clean and not (sig and sig in CLEAN_SIGNALS)
        elif restart == "on-abnormal":
            again = bool(sig) and sig not in CLEAN_SIGNALS
        else:
            again = False
        if not again:
            break
        n_restarts += 1
        delay = delay0
        if n_restarts > 1 and steps and delay0 and delay_max > delay0:
            if n_restarts > steps:
                delay = delay_max
            else:
                delay = delay0 * (delay_max / delay0) ** ((n_restarts - 1) / steps)
        event("restart %d %.3f" % (n_restarts, delay))
        end = time.monotonic() + delay
        while not stopping[0] and time.monotonic() < end:
            time.sleep(min(0.05, end - time.monotonic()))
    event("stop")


if __name__ == "__main__":
    main()

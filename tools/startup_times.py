#!/usr/bin/env python3
"""Wall time of short dpmammo commands from a cold JVM: the relaunch of `java -jar` with the Vector API against
the same command with the module on the command line, `privacy epsilon`, and the self-contained runtime.

Each round runs every variant once, in turn, so that load from other jobs on a shared machine falls on all of them
alike; the median and minimum over the rounds are printed with the CPU model and the load average before and after.

usage: tools/startup_times.py [--rounds N] [--jar target/dpmammo.jar] [--runtime target/dpmammo-runtime]
                              [--baseline-jar OTHER.jar]   (build first: mvn -B -q package -DskipTests;
                                                            the runtime, when present: tools/build-jre.sh)
"""
import argparse
import os
import shlex
import statistics
import subprocess
import time

EPSILON = "privacy epsilon --sample-rate 0.01 --steps 1000 --noise-multiplier 1.1 --delta 1e-5"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def variants(args):
    jar = args.jar
    v = {
        "java -jar J --version (relaunches)": f"java -jar {jar} --version",
        "java --add-modules jdk.incubator.vector -jar J --version": f"java --add-modules jdk.incubator.vector -jar {jar} --version",
        "java -Ddpmammo.simd=scalar -jar J --version (no module)": f"java -Ddpmammo.simd=scalar -jar {jar} --version",
        "java -jar J privacy epsilon (RDP)": f"java -jar {jar} {EPSILON} --accountant rdp",
        "java -jar J privacy epsilon (PRV)": f"java -jar {jar} {EPSILON}",
    }
    if args.baseline_jar:
        v["baseline: java -jar B privacy epsilon (RDP)"] = f"java -jar {args.baseline_jar} {EPSILON} --accountant rdp"
        v["baseline: java -jar B privacy epsilon (PRV)"] = f"java -jar {args.baseline_jar} {EPSILON}"
    launcher = os.path.join(args.runtime, "bin", "dpmammo")
    if os.path.exists(launcher):
        v["runtime bin/dpmammo --version"] = f"{launcher} --version"
        v["runtime bin/dpmammo privacy epsilon (RDP)"] = f"{launcher} {EPSILON} --accountant rdp"
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--jar", default="target/dpmammo.jar")
    p.add_argument("--runtime", default="target/dpmammo-runtime")
    p.add_argument("--baseline-jar")
    args = p.parse_args()
    cmds = variants(args)
    times = {k: [] for k in cmds}
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        for name, cmd in cmds.items():
            t = time.perf_counter()
            subprocess.run(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t)
    load_after = os.getloadavg()
    print(f"{cpu_model()}, {os.cpu_count()} CPUs; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"{args.rounds} rounds; J = {args.jar}" + (f", B = {args.baseline_jar}" if args.baseline_jar else ""))
    print(f"{'command':62s} {'median ms':>10s} {'min ms':>8s}")
    for name, t in times.items():
        print(f"{name:62s} {statistics.median(t) * 1e3:10.0f} {min(t) * 1e3:8.0f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Where a DP step's time goes, from a JFR recording of DpStepPairs (the `dp` or `plain` mode).

Counts the main thread's execution samples inside the step (the calling thread takes a share of every parallel loop,
so it sees every phase) by phase of the step, the first matching frame pattern from the leaf to the root deciding, and
prints samples per step with the leading leaf frames of each phase.

usage: java -XX:StartFlightRecording:filename=dp.jfr,settings=profile --add-modules jdk.incubator.vector \
           -cp target/dpmammo.jar:CLASSES DpStepPairs gan-d dp 40
       jfr print --stack-depth 64 --events jdk.ExecutionSample dp.jfr > dp.txt
       tools/dp-step/jfr_dp_phases.py dp.txt 40
"""
import collections
import re
import sys

PHASES = [
    ("noise", r"GaussianNoise|SnappedGaussian"),
    ("noise scale (1/(qN))", r"Backend\.unary[\s\S]*DpSgd\.step$"),
    ("norms: unfold", r"unfold[\s\S]*perExampleNorms"),
    ("norms: Gram / per-example GEMMs, squared norms", r"PerExample\.convNorms"),
    ("norms: other", r"perExampleNorms"),
    ("clip factors", r"clipFactors|Backend\.concat"),
    ("clipped sum of materialised gradients", r"clippedSumOfMaterialised"),
    ("clipped sum through gradients(A, cG)", r"DpSgd\.clippedSums"),
    ("accumulate", r"DpSgd\.accumulate"),
    ("optimizer", r"Adam|Optimizer"),
    ("backward", r"Variable\.backward|autograd\.Grad"),
    ("forward", r"forward"),
]


def samples(path):
    text = open(path).read()
    for block in text.split("jdk.ExecutionSample {")[1:]:
        thread = re.search(r'sampledThread = "([^"]+)"', block).group(1)
        stack = block.split("stackTrace = [", 1)[1].split("\n  ]", 1)[0] if "stackTrace" in block else ""
        frames = [re.sub(r"\(.*", "", l.strip()) for l in stack.split("\n") if l.strip() and l.strip() != "..."]
        yield thread, frames


def main():
    path, steps = sys.argv[1], int(sys.argv[2])
    counts, leaves = collections.Counter(), collections.defaultdict(collections.Counter)
    for thread, frames in samples(path):
        if thread != "main" or not frames:
            continue
        joined = "\n".join(frames)
        if not re.search(r"DpSgd\.step|DpBench\$Steps\.lambda", joined):
            continue
        phase = next((name for name, pattern in PHASES if re.search(pattern, joined, re.M)), "other")
        counts[phase] += 1
        leaves[phase][frames[0].split(".")[-1]] += 1
    total = sum(counts.values())
    for phase, n in counts.most_common():
        top = ", ".join(f"{leaf} {k}" for leaf, k in leaves[phase].most_common(3))
        print(f"{phase:48s} {n / steps:6.2f}/step {100 * n / total:5.1f} %   {top}")
    print(f"main-thread samples per step: {total / steps:.2f}")


if __name__ == "__main__":
    main()

"""EZKL setup of one ONNX model: settings, calibration, circuit, SRS, keys, and a self-check.

Run by scripts/zk/zkSetup.ts with the project venv's interpreter (.venv/bin/python, made by
scripts/install-ezkl.mjs with ezkl==21.0.0), never by hand:

    .venv/bin/python scripts/zk/zk_setup.py <job.json>   3> events

job.json (written by zkSetup.ts):
    model            path of the .onnx file
    work_dir         where settings.json, circuit.ezkl, vk.key, pk.key, witness.json, proof.json go
    srs_dir          the SRS cache: kzg<logrows>.srs files, made here when missing
    calibration      path of the calibration data, EZKL's input format {"input_data": [[...], ...]}
    sample           path of one input in the same format, for the self-check
    variables        [[name, value], ...]: every symbolic dim of the model and its value (1)
    decomp_base      range-check decomposition base (see zkSetup.ts for why 128)
    decomp_legs      range-check decomposition legs (4)
    max_logrows      the largest circuit accepted, as log2 of its rows
    max_artefact_bytes  the largest artefact the hub takes: bigger keys are refused before the self-check

Progress and the outcome are JSON lines on file descriptor 3, one object each:
    {"step": "settings", "status": "start"}
    {"step": "settings", "status": "done", "seconds": 0.01, "detail": {...}}
    {"step": "calibrate", "status": "failed", "kind": "too_large", "logrows": 18, "max_logrows": 17}
    {"step": "keys", "status": "failed", "kind": "artefact_too_large", "artefact": "proving_key", ...}
    {"step": "compile", "status": "failed", "kind": "ezkl", "error": "..."}
EZKL itself writes to stdout and stderr (tract warnings, "Unknown op: …", the calibration's
fidelity report); zkSetup.ts keeps them for error messages. ezkl 21's calibrate_settings and
gen_witness are coroutines, so everything runs inside asyncio.run(main()).
"""

import asyncio
import json
import os
import sys
import time

import ezkl

EVENTS = os.fdopen(3, "w", buffering=1)


def emit(**event):
    EVENTS.write(json.dumps(event) + "\n")
    EVENTS.flush()


class StepFailed(Exception):
    """A step failed; the event was sent already."""


async def step(name, run):
    """Runs one step (a function returning a detail dict, possibly a coroutine) with its events."""
    emit(step=name, status="start")
    started = time.monotonic()
    try:
        detail = run()
        if asyncio.iscoroutine(detail):
            detail = await detail
    except StepFailed:
        raise
    except Exception as err:  # ezkl raises RuntimeError, IOError, ValueError…
        emit(step=name, status="failed", kind="ezkl", error=str(err))
        raise StepFailed() from err
    emit(step=name, status="done", seconds=round(time.monotonic() - started, 3), detail=detail or {})
    return detail


def read_settings(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


async def main(job):
    work = job["work_dir"]
    model = job["model"]
    settings = os.path.join(work, "settings.json")
    circuit = os.path.join(work, "circuit.ezkl")
    vk = os.path.join(work, "vk.key")
    pk = os.path.join(work, "pk.key")
    witness = os.path.join(work, "witness.json")
    proof = os.path.join(work, "proof.json")

    def gen_settings():
        ra = ezkl.PyRunArgs()
        # Inputs and outputs are public instances (the proof is bound to them); weights are
        # fixed into the circuit (the verifying key commits to them).
        ra.input_visibility = "public"
        ra.output_visibility = "public"
        ra.param_visibility = "fixed"
        ra.variables = [(name, int(value)) for name, value in job["variables"]]
        ra.decomp_base = int(job["decomp_base"])
        ra.decomp_legs = int(job["decomp_legs"])
        if not ezkl.gen_settings(model, settings, py_run_args=ra):
            raise RuntimeError("gen_settings returned false")
        return {}

    await step("settings", gen_settings)

    async def calibrate():
        if not await ezkl.calibrate_settings(job["calibration"], model, settings, "resources"):
            raise RuntimeError("calibrate_settings returned false")
        run_args = read_settings(settings)["run_args"]
        logrows = int(run_args["logrows"])
        detail = {
            "logrows": logrows,
            "input_scale": run_args.get("input_scale"),
            "param_scale": run_args.get("param_scale"),
            "decomp_base": run_args.get("decomp_base"),
            "decomp_legs": run_args.get("decomp_legs"),
        }
        if logrows > int(job["max_logrows"]):
            emit(step="calibrate", status="failed", kind="too_large", logrows=logrows, max_logrows=int(job["max_logrows"]))
            raise StepFailed()
        return detail

    calibrated = await step("calibrate", calibrate)
    logrows = calibrated["logrows"]

    def compile_circuit():
        if not ezkl.compile_circuit(model, circuit, settings):
            raise RuntimeError("compile_circuit returned false")
        return {"bytes": os.path.getsize(circuit)}

    await step("compile", compile_circuit)

    srs = os.path.join(job["srs_dir"], "kzg%d.srs" % logrows)

    def gen_srs():
        if os.path.exists(srs):
            return {"path": srs, "cached": True, "bytes": os.path.getsize(srs)}
        os.makedirs(job["srs_dir"], exist_ok=True)
        # Made beside its final name, then renamed: a reader never sees half an SRS, and two
        # setups making the same one at once each end with a whole file.
        temp = "%s.tmp-%d" % (srs, os.getpid())
        ezkl.gen_srs(temp, logrows)
        os.replace(temp, srs)
        return {"path": srs, "cached": False, "bytes": os.path.getsize(srs)}

    await step("srs", gen_srs)

    def setup():
        if not ezkl.setup(circuit, vk, pk, srs):
            raise RuntimeError("setup returned false")
        # An artefact the hub would refuse is refused here, before the self-check's proof
        # (which takes longest for exactly these circuits).
        for name, path in (("proving_key", pk), ("verifying_key", vk), ("compiled_circuit", circuit), ("srs", srs)):
            size = os.path.getsize(path)
            if size > int(job["max_artefact_bytes"]):
                emit(step="keys", status="failed", kind="artefact_too_large", artefact=name, bytes=size,
                     max_bytes=int(job["max_artefact_bytes"]), logrows=logrows)
                raise StepFailed()
        return {"vk_bytes": os.path.getsize(vk), "pk_bytes": os.path.getsize(pk)}

    await step("keys", setup)

    async def self_check_witness():
        await ezkl.gen_witness(job["sample"], circuit, witness, vk, srs)
        return {}

    await step("witness", self_check_witness)

    def self_check_prove():
        ezkl.prove(witness, circuit, pk, proof, "single", srs)
        return {"bytes": os.path.getsize(proof)}

    await step("prove", self_check_prove)

    def self_check_verify():
        if not ezkl.verify(proof, settings, vk, srs):
            raise RuntimeError("the proof of the sample input does not verify")
        return {}

    await step("verify", self_check_verify)
    emit(step="done", status="done", logrows=logrows, srs=srs)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        job_spec = json.load(f)
    try:
        asyncio.run(main(job_spec))
    except StepFailed:
        sys.exit(1)

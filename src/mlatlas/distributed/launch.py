"""Launching the series' programs with torchrun, on one machine or several, with a loud timeout.

Every program in `mlatlas.distributed` is an ordinary Python module that `torchrun`
(`python -m torch.distributed.run`) starts once per process. torchrun gives each process its
`RANK`, `LOCAL_RANK`, `WORLD_SIZE`, `MASTER_ADDR` and `MASTER_PORT`; `init_from_env` turns them
into a process group (gloo on CPUs, NCCL when every process has a GPU). The same module therefore
runs as 2 CPU processes on a laptop or as 8 GPUs × many machines:

    python -m torch.distributed.run --nproc-per-node 2 -m mlatlas.distributed.data_parallel
    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d \\
             --rdzv-endpoint node0.example:29500 --rdzv-id run1 -m mlatlas.distributed.data_parallel

`launch` builds and runs the single-machine command from Python (the chapters' demos and the tests
use it) on a free port, and kills the whole process tree with a clear error if it does not finish
in time: a collective that waits for a peer that never comes must fail, not freeze.
"""

from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import torch
import torch.distributed as dist


def free_port() -> int:
    """A TCP port that was free a moment ago on this machine (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun_command(
    program: str | Path,
    nproc: int,
    args: list[str] | tuple[str, ...] = (),
    *,
    nnodes: int = 1,
    endpoint: str | None = None,
    run_id: str = "mlatlas",
) -> list[str]:
    """The torchrun command line that starts `program` (a module name, or a .py path) nproc times.

    With one node the rendezvous endpoint defaults to a free local port; for several nodes pass the
    `host:port` of the first node, and run the same command on every node.
    """
    if nproc < 1 or nnodes < 1:
        raise ValueError(f"need nproc >= 1 and nnodes >= 1; got nproc={nproc}, nnodes={nnodes}")
    if endpoint is None:
        if nnodes > 1:
            raise ValueError("several nodes need endpoint='host:port' of the node that hosts the rendezvous")
        endpoint = f"127.0.0.1:{free_port()}"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", str(nnodes)]
    cmd += ["--nproc-per-node", str(nproc), "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint]
    cmd += ["--rdzv-id", run_id]
    program = str(program)
    if program.endswith(".py"):
        cmd += [program]
    else:
        cmd += ["-m", program]
    return cmd + [str(a) for a in args]


def launch(
    program: str | Path,
    nproc: int = 2,
    args: list[str] | tuple[str, ...] = (),
    *,
    timeout: float = 120.0,
    capture: bool = False,
) -> subprocess.CompletedProcess:
    """Run `program` under torchrun with `nproc` local processes; raise if it fails or hangs.

    The processes start in their own session, so on timeout the launcher and every worker are
    killed together and a `TimeoutError` says which program hung, with its output so far.
    """
    cmd = torchrun_command(program, nproc, args)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    out = subprocess.PIPE if capture else None
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and all its workers
        stdout, stderr = proc.communicate()
        raise TimeoutError(
            f"{program} with {nproc} processes did not finish in {timeout:.0f} s: a collective is "
            f"probably waiting for a rank that never joins it (killed).\n"
            f"--- stdout ---\n{(stdout or '')[-3000:]}\n--- stderr ---\n{(stderr or '')[-3000:]}"
        ) from None
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited with {proc.returncode}.\n"
            f"--- stdout ---\n{(stdout or '')[-3000:]}\n--- stderr ---\n{(stderr or '')[-3000:]}"
        )
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def init_from_env(timeout_s: float = 60.0) -> dist.ProcessGroup:
    """Join the job torchrun started: NCCL if this process has a GPU, gloo otherwise.

    A collective that waits longer than `timeout_s` for a peer raises instead of hanging.
    """
    if "RANK" not in os.environ:
        raise RuntimeError(
            "RANK is not set: start this program with torchrun, e.g. "
            "`python -m torch.distributed.run --nproc-per-node 2 -m <module>`"
        )
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        backend = "nccl"
    else:
        backend = "gloo"
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    return dist.group.WORLD


def close(group: dist.ProcessGroup) -> None:
    """Leave the process group together: a barrier, then destroy it. A rank that tore down its gloo
    group while the other still computed was once aborted at exit ("terminate called without an
    active exception"), failing a torchrun run whose results were all correct."""
    dist.barrier(group=group)
    dist.destroy_process_group()


def device_for(group: dist.ProcessGroup) -> torch.device:
    """The device this rank computes on: its GPU under NCCL, the CPU under gloo."""
    if dist.get_backend(group) == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


# ---------------------------------------------------------------------------------------------------
# Spawning from Python (the tests): same process group, no launcher process in between


def _spawned(fn, rank: int, world: int, port: int, kwargs: dict, out: str, timeout_s: float) -> None:
    import traceback

    try:
        torch.set_num_threads(1)
        if isinstance(fn, str):  # "path/to/file.py:function" (e.g. a test file)
            import importlib.util

            path, name = fn.rsplit(":", 1)
            spec = importlib.util.spec_from_file_location(f"_mlatlas_spawned_{Path(path).stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            fn = getattr(module, name)
        dist.init_process_group(
            "gloo",
            init_method=f"tcp://127.0.0.1:{port}",
            rank=rank,
            world_size=world,
            timeout=datetime.timedelta(seconds=timeout_s),
        )
        result = fn(dist.group.WORLD, **kwargs)
        torch.save(result, Path(out) / f"rank{rank}.pt")
        close(dist.group.WORLD)
    except BaseException:
        (Path(out) / f"rank{rank}.err").write_text(traceback.format_exc())
        raise SystemExit(1) from None


def spawn(fn, nproc: int = 2, *, timeout: float = 60.0, **kwargs) -> list:
    """Run `fn(group, **kwargs)` in `nproc` fresh processes joined by gloo; return each rank's result.

    `fn` is an importable module-level function, or "path/to/file.py:function". The processes are
    forked from a server that has already imported torch, so starting them is cheap. If any rank
    fails, the others are killed and its traceback is raised; if they are still running after
    `timeout` seconds, all are killed and a `TimeoutError` names the ranks that were stuck.
    """
    import multiprocessing as mp
    import tempfile
    import time

    label = fn if isinstance(fn, str) else fn.__name__
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["torch", "torch.distributed"])
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mlatlas-spawn-") as out:
        procs = [
            ctx.Process(target=_spawned, args=(fn, r, nproc, port, kwargs, out, timeout), daemon=True)
            for r in range(nproc)
        ]
        for p in procs:
            p.start()
        deadline = time.monotonic() + timeout
        try:
            while any(p.is_alive() for p in procs):
                failed = [r for r, p in enumerate(procs) if p.exitcode not in (None, 0)]
                if failed or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            failed = [r for r, p in enumerate(procs) if p.exitcode not in (None, 0)]
            stuck = [r for r, p in enumerate(procs) if p.is_alive()]
        finally:
            for p in procs:
                if p.is_alive():
                    p.kill()
                p.join()
        if failed:
            errors = [(Path(out) / f"rank{r}.err") for r in failed]
            text = "\n".join(e.read_text() for e in errors if e.exists())
            raise RuntimeError(f"{label}: rank(s) {failed} of {nproc} failed:\n{text}")
        if stuck:
            raise TimeoutError(
                f"{label} with {nproc} processes did not finish in {timeout:.0f} s: rank(s) "
                f"{stuck} were still waiting, probably in a collective that a peer never joined (killed)"
            )
        return [torch.load(Path(out) / f"rank{r}.pt", weights_only=False) for r in range(nproc)]

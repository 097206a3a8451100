"""A/B benchmark: customsrc against a bash + jq baseline doing the same by hand, in one run.

Prints ratios (customsrc / baseline) for
  1. a trivial 3-item source (goal: wall time <= 2x the baseline), and
  2. a 100,000-item Nexus-shaped payload of ~56 MB (goal: wall time <= 0.5x, peak RSS <= jq's).

Both sides run the same fetch script (which writes the payload to the result file); the baseline
then maps it with jq; customsrc runs the source end to end (`customsrc run --format json`).
Wall time is the median of interleaved runs; peak memory is ru_maxrss of each command's process
tree (os.wait4). Usage: python benchmarks/bench.py [--quick]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GNU_TIME = "/usr/bin/time"
ITEM_KEYS = ("url", "sha1", "md5", "size", "modified")
JQ_MAP = (
    "[.items[] | {version: .version, metadata: {url: .assets[0].downloadUrl, sha1: .assets[0].checksum.sha1, "
    "md5: .assets[0].checksum.md5, size: (.assets[0].fileSize | tostring), modified: .assets[0].lastModified}}]"
)
ATTRS = {
    "url": "assets[0].downloadUrl",
    "sha1": "assets[0].checksum.sha1",
    "md5": "assets[0].checksum.md5",
    "size": "assets[0].fileSize",
    "modified": "assets[0].lastModified",
}


def nexus_payload(count: int) -> dict[str, object]:
    """Items shaped like Nexus 3's ``/service/rest/v1/components`` (the Harness docs' example)."""
    items = []
    for n in range(count):
        version = f"{n // 10000}.{n // 100 % 100}.{n % 100}"
        items.append(
            {
                "id": f"bWF2ZW4tcmVsZWFzZXM6{n:012d}",
                "repository": "maven-releases",
                "format": "maven2",
                "group": "com.example",
                "name": "payments",
                "version": version,
                "assets": [
                    {
                        "downloadUrl": f"https://nexus.example/repository/maven-releases/com/example/"
                        f"payments/{version}/payments-{version}.jar",
                        "path": f"com/example/payments/{version}/payments-{version}.jar",
                        "checksum": {
                            "sha1": hashlib.sha1(version.encode()).hexdigest(),
                            "md5": hashlib.md5(version.encode()).hexdigest(),
                        },
                        "contentType": "application/java-archive",
                        "lastModified": "2026-11-20T10:00:00.000+00:00",
                        "fileSize": 1048576 + n,
                    }
                ],
            }
        )
    return {"items": items, "continuationToken": None}


def source_yaml(payload_file: Path, attrs: dict[str, str]) -> str:
    attributes = "".join(f'        - {{name: {k}, type: String, value: "{v}"}}\n' for k, v in attrs.items())
    return f"""identifier: bench
type: CustomArtifact
spec:
  version: <+input>
  scripts:
    fetchAllArtifacts:
      artifactsArrayPath: $.items
      versionPath: version
      attributes:
{attributes}      spec:
        shell: Bash
        source:
          type: Inline
          spec:
            script: |
              cat {payload_file} > "$HARNESS_ARTIFACT_RESULT_PATH"
"""


def baseline_script(payload_file: Path, jq_filter: str) -> str:
    return f"""set -e
export HARNESS_ARTIFACT_RESULT_PATH=$(mktemp)
bash -c 'cat {payload_file} > "$HARNESS_ARTIFACT_RESULT_PATH"'
jq -c '{jq_filter}' "$HARNESS_ARTIFACT_RESULT_PATH"
rm -f "$HARNESS_ARTIFACT_RESULT_PATH"
"""


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of ``argv`` and everything it waited for.

    GNU time reports the peak; reading ru_maxrss of a child forked from this (large) Python
    process would count the forked image before exec.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        proc = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", report.name, *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}")
        peak = int(report.read().split()[-1])
    return wall, peak


def compare(
    name: str, ours: list[str], theirs: list[str], runs: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    measure(ours, env), measure(theirs)  # warm the page cache
    ours_t, theirs_t, ours_m, theirs_m = [], [], [], []
    for _ in range(runs):
        t, m = measure(ours, env)
        ours_t.append(t)
        ours_m.append(m)
        t, m = measure(theirs)
        theirs_t.append(t)
        theirs_m.append(m)
    o, b = statistics.median(ours_t), statistics.median(theirs_t)
    om, bm = max(ours_m), max(theirs_m)
    print(f"{name}:")
    print(f"  customsrc   {o * 1000:9.1f} ms  peak {om / 1024:8.1f} MiB")
    print(f"  bash + jq   {b * 1000:9.1f} ms  peak {bm / 1024:8.1f} MiB")
    print(f"  ratio       wall {o / b:.2f}x   peak memory {om / bm:.2f}x")
    return {"wall_ratio": o / b, "mem_ratio": om / bm, "ours_ms": o * 1000, "base_ms": b * 1000}


def sandbox_costs(runs: int) -> dict[str, float]:
    """Per-run cost of each sandbox level against a bare ``bash -c true`` spawn, interleaved."""
    from customsrc.masking import Masker
    from customsrc.runner import run_script
    from customsrc.sandbox import Settings

    def bare() -> None:
        subprocess.run(["bash", "-c", "true"], check=True)

    def level(name: str) -> Any:
        def once() -> None:
            outcome, _ = run_script(
                "true",
                shell="bash",
                inputs={},
                timeout=30,
                read_result=lambda _p, _o: None,
                masker=Masker(()),
                settings=Settings(level=name),
            )
            assert outcome.exit_code == 0

        return once

    cases = {"bare bash -c true": bare, **{f"--sandbox {n}": level(n) for n in ("off", "basic", "strict")}}
    times: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():
        fn()  # warm up
    for _ in range(runs):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    median = {name: statistics.median(values) for name, values in times.items()}
    bare_ms = median["bare bash -c true"]
    print("sandbox cost per run (median of interleaved runs; goal: basic adds <= 3 ms, strict <= 8 ms over bare):")
    for name, ms in median.items():
        added = "" if name.startswith("bare") else f"   adds {ms - bare_ms:5.2f} ms over bare"
        print(f"  {name:20s} {ms:6.2f} ms   {ms / bare_ms:5.2f}x bare{added}")
    return {
        "bare_ms": bare_ms,
        **{f"{n}_ms": median[f"--sandbox {n}"] for n in ("off", "basic", "strict")},
        "basic_adds_ms": median["--sandbox basic"] - bare_ms,
        "strict_adds_ms": median["--sandbox strict"] - bare_ms,
    }


def inline_source(identifier: str, script: str) -> str:
    """A native source with version "1", mapping ``$[*].v``, whose Bash script is ``script``."""
    body = "".join(f"              {line}\n" for line in script.splitlines())
    return f"""identifier: {identifier}
type: CustomArtifact
spec:
  version: "1"
  scripts:
    fetchAllArtifacts:
      artifactsArrayPath: $
      versionPath: v
      spec:
        shell: Bash
        source:
          type: Inline
          spec:
            script: |
{body}"""


RESULT_LINE = """echo '[{"v": "1"}]' > "$HARNESS_ARTIFACT_RESULT_PATH\""""
TRIVIAL_SOURCE = inline_source("trivial", RESULT_LINE)


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[1] == me:
                        found.append(int(pid))
            except OSError:
                continue
    return found


def many_sources(work: Path, throughput_count: int, soak_count: int) -> dict[str, float]:
    """fetch_many throughput with the basic sandbox against sequential bare spawns, and a soak."""
    import customsrc
    from customsrc.spec import load_source

    source_file = work / "trivial.yaml"
    source_file.write_text(TRIVIAL_SOURCE)
    source = load_source(str(source_file))
    tmp = work / "runs"
    tmp.mkdir()
    start = time.perf_counter()
    for _ in range(throughput_count):
        subprocess.run(["bash", "-c", "true"], check=True)
    bare = throughput_count / (time.perf_counter() - start)
    start = time.perf_counter()
    ok = sum(o.ok for o in customsrc.fetch_many([source] * throughput_count, concurrency=4, tmpdir=str(tmp)))
    rate = throughput_count / (time.perf_counter() - start)
    print(f"{throughput_count:,} trivial sources through fetch_many (--sandbox basic, concurrency 4):")
    print(f"  customsrc   {rate:7.0f} fetches/s ({ok} ok)")
    print(f"  bare bash   {bare:7.0f} spawns/s, one after another")
    print(f"  ratio       {rate / bare:.2f}x (goal >= 0.45x)")

    for _ in customsrc.fetch_many([source] * 300, concurrency=4, tmpdir=str(tmp)):
        pass  # warm up caches and the thread pool's first allocations
    fds, rss = len(os.listdir("/proc/self/fd")), _rss_kib()
    ok = sum(o.ok for o in customsrc.fetch_many([source] * soak_count, concurrency=4, tmpdir=str(tmp)))
    leaked_fds = len(os.listdir("/proc/self/fd")) - fds
    growth_mib = (_rss_kib() - rss) / 1024
    leftovers = len(_children())
    temp_files = len(list(tmp.iterdir()))
    print(
        f"soak: {soak_count:,} fetches ({ok} ok): {leftovers} leftover processes, {leaked_fds} leaked fds, "
        f"{temp_files} leftover temp files, RSS growth {growth_mib:.1f} MiB (goal: 0, 0, 0, < 10)"
    )
    return {
        "fetches_per_s": rate,
        "bare_per_s": bare,
        "ratio": rate / bare,
        "leftover_processes": leftovers,
        "leaked_fds": leaked_fds,
        "leftover_temp_files": temp_files,
        "rss_growth_mib": growth_mib,
    }


def masking_cost(customsrc: str, work: Path, megabytes: int, runs: int) -> dict[str, float]:
    """A script printing ``megabytes`` MB, run with 10 secrets of 64 KB against none (issue 11)."""
    import base64

    size = megabytes << 20
    loud = f"head -c {size * 3 // 4 + 3} /dev/urandom | base64 -w 0 | head -c {size}\n{RESULT_LINE}"
    (work / "loud.yaml").write_text(inline_source("loud", loud))
    (work / "none.secrets").write_text("")
    secrets = [base64.b64encode(os.urandom(48 << 10)).decode()[: 64 << 10] for _ in range(10)]
    (work / "ten.secrets").write_text("".join(f"s{i}={value}\n" for i, value in enumerate(secrets)))
    base = [customsrc, "run", str(work / "loud.yaml"), "--format", "json", "--secrets-file"]
    plain = [*base, str(work / "none.secrets")]
    masked = [*base, str(work / "ten.secrets")]
    measure(plain), measure(masked)
    plain_t = statistics.median(measure(plain)[0] for _ in range(runs))
    masked_t = statistics.median(measure(masked)[0] for _ in range(runs))
    print(f"masking {megabytes} MB of script output with 10 secrets of 64 KB (goal <= 2x no secrets):")
    print(f"  no secrets   {plain_t * 1000:7.0f} ms")
    print(f"  10 x 64 KB   {masked_t * 1000:7.0f} ms   ratio {masked_t / plain_t:.2f}x")
    return {"plain_ms": plain_t * 1000, "masked_ms": masked_t * 1000, "ratio": masked_t / plain_t}


def payload_memory(customsrc: str, work: Path, megabytes: int) -> dict[str, float]:
    """Peak memory of `customsrc run` over a ~``megabytes`` MB Nexus payload, as a multiple of its
    size (issue 11: at most 4x): with the Harness docs' attribute paths (only the fields they name
    are built), with a wildcard path added (``assets[*].path``: each item's assets kept whole and
    mapped by the exact per-item mapper), and with a payload schema (the whole value is built)."""
    payload = work / "hundred.json"
    count = megabytes * 1_000_000 // 574  # ~574 bytes an item
    payload.write_text(json.dumps(nexus_payload(count)))
    size = payload.stat().st_size
    named, wildcard, whole = work / "hundred.yaml", work / "hundred-wildcard.yaml", work / "hundred-whole.yaml"
    named.write_text(source_yaml(payload, ATTRS))
    wildcard.write_text(source_yaml(payload, {**ATTRS, "paths": "assets[*].path"}))
    (work / "object.schema.json").write_text('{"type": "object"}')
    whole.write_text(source_yaml(payload, ATTRS) + "customsrc:\n  payloadSchema: object.schema.json\n")
    run = [customsrc, "run", "--format", "json", "-q", "--allow-read", str(work)]
    numbers = {}
    print(f"peak memory of one run over a {size / 1e6:.0f} MB payload (goal <= 4x its size):")
    for name, source in (("named", named), ("wildcard", wildcard), ("whole", whole)):
        wall, peak = measure([*run, str(source)])
        numbers[f"{name}_ratio"] = peak * 1024 / size
        numbers[f"{name}_ms"] = wall * 1000
        print(f"  {name:8s} {peak / 1024:7.0f} MiB  {peak * 1024 / size:5.2f}x the payload   {wall * 1000:6.0f} ms")
    payload.unlink()
    return numbers


def watch_bookkeeping(work: Path, sources: int, known: int) -> dict[str, float]:
    """customsrc's own work in one watch poll of many sources, outside the fetches: recording what
    every source listed (each with ``known`` versions known and one new), saving the state, and
    draining one event per source (issue "Scale-out": at most 1 s for 10,000 sources x 100)."""
    from customsrc import watch
    from customsrc.many import Outcome
    from customsrc.mapping import Artifact
    from customsrc.result import FetchResult
    from customsrc.spec import load_source

    (work / "watched.yaml").write_text(source_yaml(work / "small.json", {"n": "n"}))
    loaded = load_source(str(work / "watched.yaml"))
    state = work / "watch-state.json"
    store = watch.StateStore(str(state))

    def outcomes(listed: int) -> list[Outcome]:
        out = []
        for i in range(sources):
            result = FetchResult(loaded._replace(file=f"/sources/s{i}.yaml"))
            result.artifacts = [Artifact(f"1.{v}", {"n": str(v)}, v) for v in range(listed)]
            out.append(Outcome(i, f"/sources/s{i}.yaml", result, None))
        return out

    watch.record(store, outcomes(known))  # the baseline: every source already known
    store.save()
    store = watch.StateStore(str(state))  # a restart reads it back
    polled = outcomes(known + 1)  # built before the clock starts: the fetches' part
    started = time.perf_counter()
    watch.record(store, polled)
    recorded = time.perf_counter()
    store.save()
    saved = time.perf_counter()
    watch._drain(store, lambda _event: None)
    drained = time.perf_counter()
    total = drained - started
    print(f"watch bookkeeping, {sources:,} sources x {known} known versions, one new each (goal <= 1 s):")
    print(
        f"  record {1000 * (recorded - started):6.0f} ms  save {1000 * (saved - recorded):6.0f} ms  "
        f"drain {1000 * (drained - saved):6.0f} ms  total {total * 1000:6.0f} ms  "
        f"(state {state.stat().st_size / 1e6:.0f} MB)"
    )
    return {"total_ms": total * 1000}


def drain_4000(work: Path) -> dict[str, float]:
    """Reporting 4,000 new versions of one source (watch --report-existing --once took 7.7 s for
    1,000 when each event rewrote the state; goal: under 0.5 s)."""
    from customsrc import watch
    from customsrc.many import Outcome
    from customsrc.mapping import Artifact
    from customsrc.result import FetchResult
    from customsrc.spec import load_source

    loaded = load_source(str(work / "watched.yaml"))
    result = FetchResult(loaded)
    result.artifacts = [Artifact(f"2.{v}", {"n": str(v)}, v) for v in range(4000)]
    store = watch.StateStore(str(work / "drain-state.json"))
    watch.record(store, [Outcome(0, "/sources/one.yaml", result, None)], report_existing=True)
    store.save()
    started = time.perf_counter()
    watch._drain(store, lambda _event: None)
    took = time.perf_counter() - started
    print(f"watch: draining 4,000 events (goal < 0.5 s): {took * 1000:.0f} ms")
    return {"drain_ms": took * 1000}


def _busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _cores_busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total * (os.cpu_count() or 1) if total else 0.0


def celery_throughput(work: Path, count: int, concurrency: int) -> dict[str, float] | None:
    """Polls through 2 `customsrc worker` processes (Celery, Redis) against one fetch_many process,
    on the same sources and the same concurrency per process, each fetch waiting 50 ms on a
    loopback server (goal: at least 1.6x when the fetches wait on the network). Prints how many of
    the machine's cores were busy in each phase: each poll here is a bash and a curl (~12 ms of
    CPU), so at 4 per process two workers saturate a 2-core machine and measure its CPU instead."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import customsrc

    redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
    try:
        import celery  # noqa: F401
        import redis
    except ImportError:
        print("celery throughput: skipped (pip install 'customsrc[celery]')")
        return None
    if not os.path.exists(redis_server):
        print("celery throughput: skipped (apt-get install redis-server)")
        return None

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(0.05)
            body = b'[{"version": "1.0"}]'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.request_queue_size = 64
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    folder = work / "celery-sources"
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"s{i}.yaml"
        path.write_text(SLOW_SOURCE.format(identifier=f"s{i}", url=url))
        paths.append(str(path))
    started, busy = time.perf_counter(), _busy()
    ok = sum(o.ok for o in customsrc.fetch_many(paths, concurrency=concurrency, sandbox="off"))
    alone = time.perf_counter() - started
    alone_cores = _cores_busy(busy, _busy())
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    daemon = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    customsrc_cli = shutil.which("customsrc") or "customsrc"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        client = redis.Redis(port=port)
        _wait(lambda: _pings(client), 10)
        for _ in range(2):
            argv = [customsrc_cli, "worker", "--broker", broker, "--sandbox", "off", "--concurrency", str(concurrency)]
            workers.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from customsrc.distributed import POLL_TASK, make_app

        app = make_app(broker)  # tasks sent from here: no scheduler process start-up on the clock
        app.send_task(POLL_TASK, args=(paths[0], False), queue="customsrc.polls")
        _wait(lambda: client.hlen("customsrc:sources") == 1, 60)  # both workers up and connected
        time.sleep(1)
        client.delete("customsrc:sources")
        started, busy = time.perf_counter(), _busy()
        for path in paths:
            app.send_task(POLL_TASK, args=(path, False), queue="customsrc.polls")
        _wait(lambda: client.hlen("customsrc:sources") == count, 300)
        distributed = time.perf_counter() - started
        distributed_cores = _cores_busy(busy, _busy())
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
        daemon.kill()
        daemon.wait()
        server.shutdown()
    cores = os.cpu_count()
    print(f"{count} polls of a server answering in 50 ms, {concurrency} at a time per process:")
    print(
        f"  fetch_many, 1 process x {concurrency}  {count / alone:6.1f} polls/s ({ok} ok), "
        f"{alone_cores:.1f} of {cores} cores busy"
    )
    print(
        f"  Celery, 2 workers x {concurrency}      {count / distributed:6.1f} polls/s, "
        f"{distributed_cores:.1f} of {cores} cores busy"
    )
    print(f"  ratio                      {alone / distributed:.2f}x")
    return {
        "one_process_per_s": count / alone,
        "celery_per_s": count / distributed,
        "ratio": alone / distributed,
        "celery_cores_busy": distributed_cores,
    }


SLOW_SOURCE = """identifier: {identifier}
type: CustomArtifact
spec:
  version: <+input>
  scripts:
    fetchAllArtifacts:
      artifactsArrayPath: $
      versionPath: version
      spec:
        shell: Bash
        source:
          type: Inline
          spec:
            script: curl -sf -o "$HARNESS_ARTIFACT_RESULT_PATH" {url}/
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pings(client: object) -> bool:
    try:
        return bool(client.ping())  # type: ignore[attr-defined]
    except Exception:
        return False


def _wait(done: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up after {seconds} s waiting")
        time.sleep(0.05)


def main() -> int:
    quick = "--quick" in sys.argv
    if not os.path.exists(GNU_TIME):
        raise SystemExit("GNU time (Debian package 'time') is needed to measure peak memory")
    for tool in ("jq", "bash"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed for the baseline")
    customsrc = shutil.which("customsrc") or sys.exit("install customsrc first (nox -s bench does)")
    work = Path(tempfile.mkdtemp(prefix="customsrc-bench-"))
    work.chmod(0o755)  # the sandboxed script runs as an unprivileged user and reads the payload here
    try:
        small = work / "small.json"
        small.write_text(json.dumps({"items": [{"version": f"1.0.{i}", "url": f"https://x/{i}"} for i in range(3)]}))
        (work / "small.yaml").write_text(source_yaml(small, {"url": "url"}))
        (work / "small.sh").write_text(
            baseline_script(small, "[.items[] | {version: .version, metadata: {url: .url}}]")
        )
        big = work / "big.json"
        count = 10_000 if quick else 100_000
        big.write_text(json.dumps(nexus_payload(count)))
        (work / "big.yaml").write_text(source_yaml(big, ATTRS))
        (work / "big.sh").write_text(baseline_script(big, JQ_MAP))
        print(
            f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
            f"{subprocess.run(['jq', '--version'], capture_output=True, text=True, check=True).stdout.strip()}"
        )
        # The payload files live in `work`, which the sandbox hides unless allowed.
        run = [customsrc, "run", "--format", "json", "-q", "--allow-read", str(work)]
        small = ([*run, str(work / "small.yaml")], ["bash", str(work / "small.sh")], 10 if quick else 40)
        results = {
            "trivial": compare("trivial 3-item source (goal <= 2x wall)", *small),
            "nexus": compare(
                f"{count:,}-item Nexus payload, {big.stat().st_size / 1e6:.0f} MB "
                "(goal <= 0.5x wall, <= 1x peak memory)",
                [*run, str(work / "big.yaml")],
                ["bash", str(work / "big.sh")],
                2 if quick else 5,
            ),
        }
        results["payload_memory"] = payload_memory(customsrc, work, 10 if quick else 100)
        results["masking"] = masking_cost(customsrc, work, 10 if quick else 100, 2 if quick else 3)
        results["sandbox"] = sandbox_costs(30 if quick else 200)
        results["many"] = many_sources(work, 300 if quick else 1000, 1000 if quick else 10_000)
        results["watch"] = watch_bookkeeping(work, 1000 if quick else 10_000, 100)
        results["drain"] = drain_4000(work)
        print("Celery against one process (goal >= 1.6x while the fetches wait on the network):")
        for concurrency in (2, 4):
            celery_numbers = celery_throughput(work / f"c{concurrency}", 100 if quick else 300, concurrency)
            if celery_numbers is not None:
                results[f"celery_x{concurrency}"] = celery_numbers
        print("summary: " + json.dumps({k: {m: round(v, 3) for m, v in r.items()} for k, r in results.items()}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Backup and restore, against baselines measured in the same run on the same local S3 endpoint.

    .venv/bin/python benchmarks/backup.py                     # 1 GB, the issue's size (default)
    .venv/bin/python benchmarks/backup.py --size 100MB        # quicker; fixed costs weigh more
    .venv/bin/python benchmarks/backup.py --text realtor      # the sandbox's templated text instead

Generates a realtor database once (``generate_bulk``; kept as ``rops_bench_<size>[_varied]`` on the
local PostgreSQL for later runs): the realtor schema and its row generator, with prose-like text by
default (``--text varied``; the sandbox's own templated sentences with ``--text realtor``). Then it
starts moto and measures wall time, bytes stored and peak RSS of:

* ours:  ``realtor-ops backup create`` (pg_dump -Fc -Z0 → zstd → SHA-256 → multipart upload)
* (a):   ``pg_dump -Fc | aws s3 cp - s3://…`` (the aws CLI, same endpoint)
* (b):   ``pg_dump -Fc -Z0 > /dev/null`` (the ceiling: pg_dump reading the database, nothing else)

and restore into a new database: ``realtor-ops backup restore`` (create the database, download, verify,
one transaction, row counts) against ``CREATE DATABASE`` + ``pg_restore -d`` of the same archive from
local disk (plain, and with --single-transaction); each contender creates its target inside the timing.
Peak RSS is sampled (every 20 ms) over the whole process tree and for the Python process alone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sandbox.local_s3 import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, LocalS3  # noqa: E402
from services.core import workspace as ws  # noqa: E402
from services.core.object_storage import S3Location, make_client  # noqa: E402

BASE_DSN = os.environ.get("REALTOR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def parse_size(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?B?)", text.strip().upper())
    if not m:
        raise SystemExit(f"bad --size {text!r} (e.g. 100MB, 1GB)")
    unit = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9}[m.group(2)]
    return int(float(m.group(1)) * unit)


def dsn(db: str) -> str:
    return psycopg.conninfo.make_conninfo(BASE_DSN, dbname=db)


def varied_vocabulary(seed: int = 11, sentences: int = 4000) -> dict[str, list[str]]:
    """The realtor generator's pools with its few dozen rendered sentences per group replaced by thousands
    of sentences drawn from an ~8,000-word English vocabulary (the words of Python's own docstrings, drawn
    with Zipf's law as natural text is): unique-looking descriptions, notes and feedback that compress
    like real prose rather than like a handful of templates."""
    import ast
    import random
    import sysconfig
    from collections import Counter

    from sandbox.realtor_bulk import bulk_vocabulary

    counts: Counter[str] = Counter()
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
                counts.update(w.lower() for w in re.findall(r"[A-Za-z]{2,14}", node.value))
    words = [w for w, _ in counts.most_common(8000)]
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    rng = random.Random(seed)

    def sentence(low: int, high: int) -> str:
        picked = rng.choices(words, weights, k=rng.randint(low, high))
        text = " ".join(picked)
        if rng.random() < 0.3:
            text += f" {rng.randint(2, 9800)} {rng.choice(['sq ft', 'feet', 'days', 'minutes', 'dollars'])}"
        return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "!", "?"])

    vocab = bulk_vocabulary()
    for group in ("openers", "kitchens", "interiors", "outdoors", "closers"):
        vocab[group] = [sentence(8, 22) for _ in range(sentences)]
    vocab["feedback"] = [sentence(5, 16) for _ in range(sentences)]
    vocab["notes"] = [sentence(5, 16) for _ in range(sentences)]
    return vocab


def ensure_database(name: str, target: int, *, text: str = "realtor") -> int:
    from sandbox.realtor_schema import generate_bulk, install_realtor_schema_sync

    with psycopg.connect(BASE_DSN, autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            c.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(dsn(name)) as c:
        size = int(c.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]
    if size < target * 0.9:
        print(f"generating about {target / 1e6:.0f} MB of realtor data in {name} (once)…", flush=True)
        install_realtor_schema_sync(dsn(name), rows_scale=1.0)
        generate_bulk(dsn(name), target, vocab=varied_vocabulary() if text == "varied" else None)
        with psycopg.connect(dsn(name), autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
            size = int(c.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]
    return size


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent not idle (every process: ours, PostgreSQL's backend, moto)."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def measure(cmd: list[str] | str, env: dict[str, str], *, shell: bool = False) -> dict[str, float]:
    cpu0 = busy_cpu_s()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                            executable="/bin/bash" if shell else None)
    root = psutil.Process(proc.pid)
    peak_tree = peak_python = 0
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            rss = {p.pid: p.memory_info().rss for p in procs if p.is_running()}
            peak_tree = max(peak_tree, sum(rss.values()))
            py = [rss.get(p.pid, 0) for p in procs if "python" in p.name()]
            peak_python = max(peak_python, max(py, default=0))
        except psutil.Error:
            pass
        time.sleep(0.02)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    cpu = busy_cpu_s() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {cmd}\n{err.decode()[-2000:]}")
    return {"wall": wall, "cpu": cpu, "peak_tree": peak_tree, "peak_python": peak_python,  # type: ignore[dict-item]
            "stdout": out.decode()}


def median_run(rs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median wall time (its other figures with it), and every wall time seen."""
    ordered = sorted(rs, key=lambda r: r["wall"])
    mid = dict(ordered[len(ordered) // 2])
    mid["walls"] = [round(r["wall"], 2) for r in rs]  # type: ignore[assignment]
    return mid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1GB", help="database size to generate (1GB, the default; 100MB, …)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="backup runs per contender, interleaved; the median is reported (default 3)")
    parser.add_argument("--text", choices=("varied", "realtor"), default="varied",
                        help="varied (default): thousands of sentences from an 8,000-word vocabulary, compressing "
                        "like prose (gzip ~3:1); realtor: the sandbox generator's 64 templated sentences per "
                        "field (gzip ~9:1, where gzip's 32 KiB window sees every repeat)")
    parser.add_argument("--restore-rounds", type=int, default=3,
                        help="restore runs per contender, interleaved; the median is reported (default 3)")
    args = parser.parse_args()
    target = parse_size(args.size)
    dbname = f"rops_bench_{args.size.lower()}" + ("_varied" if args.text == "varied" else "")
    size = ensure_database(dbname, target, text=args.text)
    print(f"database {dbname}: {size / 1e6:.0f} MB on PostgreSQL at {BASE_DSN.split('@')[-1]}")

    with LocalS3() as s3, tempfile.TemporaryDirectory(prefix="rops-bench-") as tmp:
        loc = S3Location(s3.endpoint_url, "us-east-1", SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY)
        client = make_client(loc)
        bucket = "rops-bench"
        client.create_bucket(Bucket=bucket)
        info = psycopg.conninfo.conninfo_to_dict(dsn(dbname))
        workspace = ws.Workspace(name="bench", profile=ws.Profile.ADMIN)
        env = ws.seed_environment("bench", ws.EnvironmentKind.STAGING)
        env.database = ws.DatabaseSettings(host=str(info.get("host")), port=int(info.get("port", 5432)),
                                           name=dbname, user=str(info.get("user", "postgres")), sslmode="disable")
        env.backup.endpoint_url, env.backup.bucket, env.backup.credentials = s3.endpoint_url, bucket, "aws"
        wpath = Path(tmp) / "workspace.toml"
        workspace.environments["bench"] = env
        ws.save(workspace, wpath)
        base_env = {**os.environ, "XDG_CACHE_HOME": tmp, "XDG_DATA_HOME": tmp, "XDG_STATE_HOME": tmp}
        ops_env = {**base_env, "BENCH_AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
                   "BENCH_AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY}
        aws_env = {**base_env, "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
                   "AWS_DEFAULT_REGION": "us-east-1", "PGHOST": str(info.get("host")),
                   "PGPORT": str(info.get("port", 5432)), "PGUSER": str(info.get("user", "postgres"))}
        ops = [sys.executable, "-m", "cli.main", "--workspace", str(wpath), "--secrets-from-env", "--json"]

        from services.core.pg_tools import tools_for

        tools = tools_for(int(str(psycopg.connect(dsn(dbname)).info.server_version)[:2]))
        pg_dump = tools.path("pg_dump")

        # Warm the page cache once so that every contender reads from memory alike.
        measure(f"{pg_dump} -Fc -Z0 {dbname} > /dev/null", aws_env, shell=True)
        runs: dict[str, list[dict[str, float]]] = {"ours": [], "a": [], "b": []}
        made: dict[str, Any] = {}
        for _ in range(max(1, args.rounds)):  # interleaved, so a noisy minute hurts every contender alike
            ours = measure([*ops, "backup", "create", "--env", "bench"], ops_env)
            made = json.loads(str(ours["stdout"]))
            runs["ours"].append({**ours, "bytes": made["bytes"]})
            a = measure(f"set -o pipefail; {pg_dump} -Fc {dbname} | aws --endpoint-url {s3.endpoint_url} "
                        f"s3 cp - s3://{bucket}/baseline.dump --expected-size {size}", aws_env, shell=True)
            a["bytes"] = client.head_object(Bucket=bucket, Key="baseline.dump")["ContentLength"]
            runs["a"].append(a)
            b = measure(f"{pg_dump} -Fc -Z0 {dbname} > /dev/null", aws_env, shell=True)
            b["bytes"] = float("nan")
            runs["b"].append(b)
        results = {name: median_run(rs) for name, rs in runs.items()}

        # Restore: ours (download, checksum, one transaction, row counts) vs pg_restore from local disk.
        local = Path(tmp) / "archive.dump"
        import zstandard

        with open(local, "wb") as out:
            body = client.get_object(Bucket=bucket, Key=made["key"])["Body"]
            zstandard.ZstdDecompressor().copy_stream(body, out)
        # Every contender starts with no target database and ends with a restored one, so creating it is
        # timed on each side (ours creates it itself). Rounds interleaved like the backups; medians reported.
        psql, pg_restore = tools.path("psql"), tools.path("pg_restore")
        restore_runs: dict[str, list[dict[str, float]]] = {"ours": [], "plain": [], "1txn": []}
        for i in range(max(1, args.restore_rounds)):
            targets = {k: f"{dbname}_r_{k}_{i}" for k in restore_runs}
            try:
                restore_runs["ours"].append(measure(
                    [*ops, "backup", "restore", made["id"], "--env", "bench", "--to", targets["ours"],
                     "--confirm", targets["ours"], "--skip-safety-backup"], ops_env))
                restore_runs["plain"].append(measure(
                    f"{psql} -X -q -d postgres -c 'CREATE DATABASE {targets['plain']}' && "
                    f"{pg_restore} -d {targets['plain']} {local}", aws_env, shell=True))
                restore_runs["1txn"].append(measure(
                    f"{psql} -X -q -d postgres -c 'CREATE DATABASE {targets['1txn']}' && "
                    f"{pg_restore} --single-transaction -d {targets['1txn']} {local}", aws_env, shell=True))
            finally:
                with psycopg.connect(BASE_DSN, autocommit=True) as c:
                    for t in targets.values():
                        c.execute(f'DROP DATABASE IF EXISTS "{t}" WITH (FORCE)')
        r_ours, r_plain, r_1txn = (median_run(restore_runs[k]) for k in ("ours", "plain", "1txn"))

    mb = 1e6
    print(f"\npg_dump {tools.version} ({tools.source}); 2-core machine; moto S3 on loopback\n")
    print(f"{'backup (median of the runs)':44} {'wall s':>8} {'CPU s':>7} {'stored MB':>10} {'peak RSS MB (tree / python)':>28}")
    names = {"ours": "ours: realtor-ops backup create", "a": "(a) pg_dump -Fc | aws s3 cp -",
             "b": "(b) pg_dump -Fc -Z0 > /dev/null"}
    for key, label in names.items():
        r = results[key]
        stored = "-" if r["bytes"] != r["bytes"] else f"{r['bytes'] / mb:.1f}"
        print(f"{label:44} {r['wall']:8.2f} {r['cpu']:7.2f} {stored:>10} {r['peak_tree'] / mb:>14.0f} / "
              f"{r['peak_python'] / mb:.0f}    runs: {r['walls']}")
    o, a, b = results["ours"], results["a"], results["b"]
    print(f"\nratios: (a)/ours wall = {a['wall'] / o['wall']:.2f}× faster (target ≥ 3×); "
          f"ours speed vs (b) = {b['wall'] / o['wall']:.2f} (target ≥ 0.5); "
          f"bytes ours/(a) = {o['bytes'] / a['bytes']:.2f} (target ≤ 1); "
          f"peak RSS python = {o['peak_python'] / mb:.0f} MB (target ≤ 200)")
    print(f"CPU s are the whole machine's busy time during each run (PostgreSQL's backend and moto included); on "
          f"{psutil.cpu_count()} cores no run can take less wall time than CPU s / {psutil.cpu_count()}: "
          f"ours ≥ {o['cpu'] / (psutil.cpu_count() or 1):.2f} s, (a)/3 = {a['wall'] / 3:.2f} s")
    print(f"\n{'restore into a new database (median)':44} {'wall s':>8}")
    print(f"{'ours: realtor-ops backup restore':44} {r_ours['wall']:8.2f}    runs: {r_ours['walls']}")
    print(f"{'CREATE DATABASE; pg_restore -d (local file)':44} {r_plain['wall']:8.2f}    runs: {r_plain['walls']}")
    print(f"{'… pg_restore --single-transaction -d':44} {r_1txn['wall']:8.2f}    runs: {r_1txn['walls']}")
    print(f"ratio ours/pg_restore = {r_ours['wall'] / r_plain['wall']:.2f} (target ≤ 1.2); "
          f"ours/pg_restore -1 = {r_ours['wall'] / r_1txn['wall']:.2f}")


if __name__ == "__main__":
    main()

"""``pilotkg dump`` and ``pilotkg restore`` as real commands, around a real server process.

A module fixture serves a copy of the built data, commits one curated zone (so the
store is not just the built dataset) and keeps the server running; tests that need
the store to themselves stop it first.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from pilotkg.graph.backup import RESTORE_MARKER
from server_process import CURATION, ServerProcess
from support import add_curator, fresh_copy, pilotkg


@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    work = tmp_path_factory.mktemp("backup")
    data = fresh_copy(built.data_dir, work / "data")
    token = add_curator(data, "keeper")
    server = ServerProcess(data, work / "serve.log").start()
    _, committed = server.import_zone(token, CURATION + "backup", "test-backup")
    assert committed.status_code == 200, committed.text
    yield server, data, token, work
    server.stop()


def _dump(data: Path, target: Path):
    out = pilotkg("--data", str(data), "dump", "--output", str(target))
    assert out.returncode == 0, out.stderr
    return out


def _restore(data: Path, backup: Path, *args: str):
    return pilotkg("--data", str(data), "restore", str(backup), *args)


def test_dump_while_the_server_runs_is_a_consistent_checksummed_backup(served):
    server, data, _, work = served
    assert server.running
    out = _dump(data, work / "live.nq")
    body = (work / "live.nq").read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    assert (work / "live.nq.sha256").read_text() == f"{digest}  live.nq\n"  # sha256sum's format
    assert digest in out.stdout and "quads in" in out.stdout
    lines = body.decode("utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) == len(set(lines))
    quads = list(ox.parse(input=body, format=ox.RdfFormat.N_QUADS))
    assert len(quads) == len(lines) == server.count("GRAPH ?g { ?s ?p ?o }")
    assert any("zone/test-backup" in line for line in lines)
    if shutil.which("sha256sum"):
        assert subprocess.run(["sha256sum", "-c", "live.nq.sha256"], cwd=work, capture_output=True).returncode == 0


def test_dump_without_output_goes_to_the_backups_folder(served):
    _, data, _, _ = served
    out = pilotkg("--data", str(data), "dump")
    assert out.returncode == 0, out.stderr
    made = sorted((data / "backups").glob("pilotkg-*.nq"))
    assert made and made[-1].name[8:23].replace("-", "").isdigit()  # pilotkg-YYYYmmdd-HHMMSS.nq
    assert (data / "backups" / (made[-1].name + ".sha256")).exists()
    assert str(made[-1]) in out.stdout


def test_restore_while_the_server_runs_is_refused(served):
    server, data, _, work = served
    _dump(data, work / "refused.nq")
    out = _restore(data, work / "refused.nq")
    assert out.returncode == 1
    assert "stop the server first" in out.stderr and "nothing was restored" in out.stderr
    assert "Traceback" not in out.stderr
    assert server.has_zone("test-backup") and not (data / RESTORE_MARKER).exists()


def test_dump_restore_round_trip_is_byte_identical(served, built, tmp_path):
    server, data, token, work = served
    backup = tmp_path / "round.nq"
    _dump(data, backup)
    _, later = server.import_zone(token, CURATION + "after-backup", "test-after-backup")
    assert later.status_code == 200
    server.stop()
    try:
        # into the same folder: the zone written after the backup is gone, the rest is as it was
        out = _restore(data, backup)
        assert out.returncode == 0, out.stderr
        assert "checksum ok" in out.stderr and out.stdout.startswith("restored ")
        _dump(data, tmp_path / "again.nq")
        assert (tmp_path / "again.nq").read_bytes() == backup.read_bytes()

        # into a fresh copy of the built data, never served (no store yet)
        other = fresh_copy(built.data_dir, tmp_path / "other")
        out = _restore(other, backup)
        assert out.returncode == 0, out.stderr
        _dump(other, tmp_path / "other.nq")
        assert (tmp_path / "other.nq").read_bytes() == backup.read_bytes()

        # and `pilotkg serve` keeps the restored content (it does not reload the dataset over it)
        second = ServerProcess(other, tmp_path / "other.log").start()
        try:
            assert "loading" not in second.output()
            assert second.has_zone("test-backup") and not second.has_zone("test-after-backup")
        finally:
            assert second.stop() == 0
    finally:
        server.start()
    assert server.has_zone("test-backup") and not server.has_zone("test-after-backup")


def test_a_damaged_backup_or_a_missing_checksum_is_refused(served, tmp_path):
    server, data, _, _ = served
    backup = tmp_path / "damaged.nq"
    _dump(data, backup)
    server.stop()
    try:
        _dump(data, tmp_path / "before.nq")
        before = (tmp_path / "before.nq").read_bytes()
        body = bytearray(backup.read_bytes())
        body[len(body) // 2] ^= 0x01
        backup.write_bytes(bytes(body))
        out = _restore(data, backup)
        assert out.returncode == 1
        assert "does not match its checksum" in out.stderr and "nothing was restored" in out.stderr

        backup.with_name("damaged.nq.sha256").unlink()
        out = _restore(data, backup)
        assert out.returncode == 1 and "no checksum file" in out.stderr and "--no-verify" in out.stderr

        not_rdf = tmp_path / "not-rdf.nq"
        not_rdf.write_text("this is not N-Quads\n")
        out = _restore(data, not_rdf, "--no-verify")
        assert out.returncode == 2 and "not N-Quads" in out.stderr and "nothing was restored" in out.stderr

        _dump(data, tmp_path / "after.nq")
        assert (tmp_path / "after.nq").read_bytes() == before  # none of these touched the store
    finally:
        server.start()


def test_restore_with_no_verify_loads_a_backup_without_checksum(served, tmp_path):
    server, data, _, _ = served
    backup = tmp_path / "unchecked.nq"
    _dump(data, backup)
    backup.with_name("unchecked.nq.sha256").unlink()
    server.stop()
    try:
        out = _restore(data, backup, "--no-verify")
        assert out.returncode == 0, out.stderr
        assert "checksum ok" not in out.stderr
    finally:
        server.start()


def test_an_interrupted_restore_stops_serve_until_it_is_run_again(served, tmp_path):
    """A restore that dies midway (its bulk load is not one transaction) leaves its marker file:
    `serve` then refuses instead of serving part of a backup, and running the restore again fixes it."""
    server, data, _, _ = served
    backup = tmp_path / "interrupted.nq"
    _dump(data, backup)
    server.stop()
    try:
        (data / RESTORE_MARKER).write_text(f"{backup}\n")  # what a killed restore leaves behind
        out = pilotkg("--data", str(data), "serve", "--port", "9", "--workers", "1")
        assert out.returncode == 1
        assert "did not finish" in out.stderr and f"restore {backup}" in out.stderr
        assert "Traceback" not in out.stderr
        assert _restore(data, backup).returncode == 0
        assert not (data / RESTORE_MARKER).exists()
    finally:
        server.start()
    assert server.has_zone("test-backup")


def test_dump_and_restore_say_what_is_missing(tmp_path, built):
    out = pilotkg("--data", str(tmp_path / "nothing"), "dump")
    assert out.returncode == 1 and "there is no store" in out.stderr
    backup = tmp_path / "b.nq"
    backup.write_text("")
    backup.with_name("b.nq.sha256").write_text(hashlib.sha256(b"").hexdigest() + "  b.nq\n")
    out = _restore(tmp_path / "empty", backup)
    assert out.returncode == 1 and "build` first" in out.stderr and "nothing was restored" in out.stderr


def test_a_dump_during_a_large_write_holds_all_of_it_or_none(built, tmp_path):
    """Dumps taken one after another while a 20,000-triple write is held for 2 s before its store
    update (PILOTKG_TEST_SLOW_COMMIT=2, test only), commits, and returns: each reads one snapshot,
    so each holds none of the write (before it committed) or all of it, never a part."""
    import threading

    import requests

    from server_process import ID
    from support import bearer

    data = fresh_copy(built.data_dir, tmp_path / "data")
    token = add_curator(data, "keeper")
    server = ServerProcess(data, tmp_path / "serve.log", args=("--max-body", "50000000")).start(PILOTKG_TEST_SLOW_COMMIT="2")
    graph = CURATION + "dumped-while-written"
    n = 20_000
    body = "".join(f'<{ID}note/dumped> <http://www.w3.org/2000/01/rdf-schema#comment> "comment {i}" .\n' for i in range(n))
    result = {}
    put = threading.Thread(target=lambda: result.setdefault("response", requests.put(
        f"{server.base}/rdf-graphs", params={"graph": graph}, data=body.encode(),
        headers={**bearer(token), "Content-Type": "application/n-triples"}, timeout=300)))
    try:
        put.start()
        server.wait_for_output("waiting 2 s before committing", timeout=120)
        seen = []
        while True:
            finished = not put.is_alive()
            _dump(data, tmp_path / f"during-{len(seen)}.nq")
            text = (tmp_path / f"during-{len(seen)}.nq").read_text(encoding="utf-8")
            seen.append(text.count(f"<{graph}> ."))
            if finished:
                break
        assert result["response"].status_code == 201, result["response"].text
        assert set(seen) <= {0, n}, seen
        assert seen[0] == 0 and seen[-1] == n
        print(f"dumps during the write held {seen} of its {n} triples")
    finally:
        put.join(60)
        server.stop()

"""Durability of writes, on a real ``pilotkg serve`` process (see tests/server_process.py).

- a write acknowledged with 2xx survives ``kill -9`` of the server and a restart;
- a write killed before or inside its commit leaves all of its triples or none;
- concurrent writers are serialised and none is lost;
- a full disk, or a file system that turns read-only under the server, gives a clear
  error and loses nothing already stored (real conditions: a small tmpfs and an ext4
  image with ``errors=remount-ro``; skipped where this machine cannot mount them);
  the same error path is also tested in-process with an injected ENOSPC, everywhere;
- ``serve`` on a store another process holds says so, with no traceback.

Each import is planned (reasoning and SHACL on a copy, ~3 s here) when it is staged,
and again at its commit if another write committed in between, as nearly always
happens with concurrent writers: ~6.6 s per import, one at a time. So the concurrency
test runs 8 clients x 3 imports by default (~2.5 min; 8 x 5 took 264 s); the issue's
8 x 50 is the same test with ``PILOTKG_DURABILITY_WRITES=50`` in the environment
(~45 min).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from server_process import CURATION, ID, ServerProcess, audit_entries, zone_iri, zone_turtle
from support import add_curator, bearer, fresh_copy, pilotkg, serving

CLIENTS = 8
WRITES_PER_CLIENT = int(os.environ.get("PILOTKG_DURABILITY_WRITES", "2"))  # 16 imports at once; more with the variable
BULK_TRIPLES = 20_000  # big enough that the store update takes a measurable time (~0.1-0.2 s here)


@pytest.fixture()
def data(built, tmp_path):
    folder = fresh_copy(built.data_dir, tmp_path / "data")
    return folder


@pytest.fixture()
def token(data):
    return add_curator(data, "durable")


@pytest.fixture()
def server(data, token, tmp_path):
    srv = ServerProcess(data, tmp_path / "serve.log")
    yield srv
    srv.stop()


def _dump(data: Path, target: Path) -> bytes:
    out = pilotkg("--data", str(data), "dump", "--output", str(target))
    assert out.returncode == 0, out.stderr
    return target.read_bytes()


def _bulk_ntriples(n: int, note: str) -> str:
    """``n`` triples no shape targets: comments on one note (only the note is a touched node)."""
    subject = f"<{ID}note/{note}>"
    return "".join(f'{subject} <http://www.w3.org/2000/01/rdf-schema#comment> "comment {i} of {note}" .\n' for i in range(n))


def _put_in_background(server: ServerProcess, token: str, graph: str, body: str) -> dict:
    """PUT ``body`` to /rdf-graphs in a thread; the dict gets 'response' or 'error' when it ends."""
    outcome: dict = {}

    def run():
        try:
            outcome["response"] = requests.put(f"{server.base}/rdf-graphs", params={"graph": graph}, data=body.encode(),
                                               headers={**bearer(token), "Content-Type": "application/n-triples"},
                                               timeout=300)
        except requests.RequestException as err:
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


# --------------------------------------------------------------------------- kill -9


def test_an_acknowledged_write_survives_kill_9_and_a_restart(server, data, token):
    server.start()
    total_before = server.count("GRAPH ?g { ?s ?p ?o }")
    staged, committed = server.import_zone(token, CURATION + "durable", "test-kill9")
    assert committed.status_code == 200, committed.text
    assert server.has_zone("test-kill9")
    server.kill9()  # no shutdown code runs: no flush, no close

    server.start()
    assert "loading" not in server.output()  # the store was opened as it was, not reloaded from dataset.nq
    assert server.has_zone("test-kill9")
    assert server.count("GRAPH ?g { ?s ?p ?o }") == total_before + 6 + committed.json()["inferred"]["added"]
    assert requests.get(server.base + "/health", timeout=10).json()["status"] == "ok"
    assert [e["import_id"] for e in audit_entries(data)] == [staged.json()["id"]]
    assert server.stop() == 0


def test_a_write_killed_before_its_commit_leaves_nothing(server, data, token, tmp_path):
    """PILOTKG_TEST_SLOW_COMMIT (test only) holds the write inside the write lock, planned and
    validated, just before the store update: SIGKILL there, and the store is byte for byte as before."""
    server.start(PILOTKG_TEST_SLOW_COMMIT="60")
    assert "PILOTKG_TEST_SLOW_COMMIT is set" in server.output()
    before = _dump(data, tmp_path / "before.nq")  # read-only, while the server runs
    graph = CURATION + "killed-before-commit"
    request = _put_in_background(server, token, graph, _bulk_ntriples(500, "before-commit"))
    server.wait_for_output("waiting 60 s before committing", timeout=60, poll=0.05)
    server.kill9()
    request["thread"].join(30)
    assert "error" in request  # the client got no answer: the write was not acknowledged

    server.start()
    assert server.count(f"GRAPH <{graph}> {{ ?s ?p ?o }}") == 0
    assert server.stop() == 0
    assert _dump(data, tmp_path / "after.nq") == before
    assert audit_entries(data) == []


def test_a_write_killed_inside_its_transaction_leaves_all_or_nothing(built, tmp_path, record_property):
    """SIGKILL as the store update starts (the test hook's second line is printed just before
    ``store.update``; the test polls the log every millisecond): afterwards the graph holds all of
    its triples or none, and the store as a whole is exactly the old or exactly the new state."""
    data = fresh_copy(built.data_dir, tmp_path / "data")
    token = add_curator(data, "durable")
    server = ServerProcess(data, tmp_path / "serve.log", args=("--max-body", "50000000"))
    try:
        server.start(PILOTKG_TEST_SLOW_COMMIT="0")
        total_before = server.count("GRAPH ?g { ?s ?p ?o }")
        graph = CURATION + "killed-inside-commit"
        request = _put_in_background(server, token, graph, _bulk_ntriples(BULK_TRIPLES, "inside-commit"))
        server.wait_for_output("quads now", timeout=120)
        server.kill9()
        log = server.output()
        quads = int(log.split("committing ")[-1].split(" quads now")[0])  # data + inferred of this write
        request["thread"].join(30)

        server.start()
        in_graph = server.count(f"GRAPH <{graph}> {{ ?s ?p ?o }}")
        total = server.count("GRAPH ?g { ?s ?p ?o }")
        assert in_graph in (0, BULK_TRIPLES), f"a partial write: {in_graph} of {BULK_TRIPLES} triples"
        assert total == (total_before if in_graph == 0 else total_before + quads)
        outcome = "none" if in_graph == 0 else "all"
        record_property("interrupted_write_outcome", outcome)
        print(f"interrupted write of {quads} quads: {outcome} survived")
        if outcome == "none":
            assert "response" not in request  # nothing that was lost had been acknowledged
    finally:
        server.stop()


# --------------------------------------------------------------------------- concurrent writers


def test_concurrent_writers_are_serialised_and_none_is_lost(server, data, token):
    server.start()
    results: dict[int, list] = {}
    failures: list[str] = []

    def client(i: int) -> None:
        session = requests.Session()
        done = []
        for j in range(WRITES_PER_CLIENT):
            slug = f"test-concurrent-c{i}-w{j}"
            try:
                staged, committed = server.import_zone(token, f"{CURATION}concurrent/c{i}", slug, session)
            except (AssertionError, requests.RequestException) as err:
                failures.append(f"{slug}: {err}")
                return
            if committed.status_code != 200:
                failures.append(f"{slug}: commit {committed.status_code} {committed.text[:300]}")
                return
            done.append((staged.json()["id"], committed.headers["X-Request-Id"]))
        results[i] = done

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120 * WRITES_PER_CLIENT  # ~8 x 7 s per round of imports, with room
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"the writers did not finish within {120 * WRITES_PER_CLIENT} s"
    elapsed = time.perf_counter() - started
    print(f"{CLIENTS} clients x {WRITES_PER_CLIENT} imports: {elapsed:.1f} s")
    assert not failures, failures
    expected = CLIENTS * WRITES_PER_CLIENT
    committed = [pair for done in results.values() for pair in done]
    assert len(committed) == expected

    zones = f"?z a pk:PilotZone FILTER(STRSTARTS(STR(?z), \"{zone_iri('test-concurrent-')}\"))"
    assert server.count(zones) == expected
    entries = [e for e in audit_entries(data) if e["action"] == "import-commit"]
    assert len(entries) == expected
    assert {e["import_id"] for e in entries} == {import_id for import_id, _ in committed}
    assert len({e["request_id"] for e in entries}) == expected
    assert {e["request_id"] for e in entries} == {request_id for _, request_id in committed}

    server.kill9()  # and all of them are on disk
    server.start()
    assert server.count(zones) == expected


def test_an_import_committed_twice_at_once_is_applied_and_recorded_once(built, tmp_path, monkeypatch):
    """Two commits of one staged import sent together: one 200, one 409, one audit line. The hook
    holds the first inside the write lock while the second arrives (before the fix, the second
    waited for the lock, planned again on the data the first had committed, and answered 200 with
    a second audit line)."""
    data = fresh_copy(built.data_dir, tmp_path / "data")
    token = add_curator(data, "durable")
    monkeypatch.setenv("PILOTKG_TEST_SLOW_COMMIT", "1")
    with serving(data, query_timeout=30) as app:
        staged = app.test_client().post(f"/imports?graph={CURATION}twice", data=zone_turtle("test-twice"),
                                        content_type="text/turtle", headers=bearer(token))
        assert staged.status_code == 201
        url = staged.headers["Location"] + "/commit"
        answers = []

        def commit():
            answers.append(app.test_client().post(url, headers=bearer(token)).status_code)

        first = threading.Thread(target=commit)
        first.start()
        time.sleep(0.3)  # the first is now held inside the write lock
        second = threading.Thread(target=commit)
        second.start()
        first.join(60)
        second.join(60)
    assert sorted(answers) == [200, 409]
    assert [e["import_id"] for e in audit_entries(data)] == [staged.get_json()["id"]]


# --------------------------------------------------------------------------- full disk, read-only file system


def _can_mount() -> str | None:
    """None if this process may mount file systems (root with CAP_SYS_ADMIN), else why not."""
    if os.geteuid() != 0:
        return "mounting a small file system needs root"
    if shutil.which("mount") is None or shutil.which("umount") is None:
        return "no mount command"
    return None


def _mount(*args: str) -> None:
    out = subprocess.run(["mount", *args], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot mount here ({' '.join(args)}): {out.stderr.strip()}")


def _umount(point: Path) -> None:
    if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


@pytest.fixture()
def small_disk(tmp_path):
    """A 48 MiB tmpfs (the store takes ~7 MiB of it)."""
    why = _can_mount()
    if why:
        pytest.skip(why)
    point = tmp_path / "disk"
    point.mkdir()
    _mount("-t", "tmpfs", "-o", "size=48m", "tmpfs", str(point))
    yield point
    _umount(point)


def _fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte (unbuffered writes until ENOSPC)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 20, 4096, 1):
            try:
                while f.write(b"\0" * size):
                    pass
            except OSError as err:
                assert err.errno == errno.ENOSPC, err
    return filler


def test_a_full_disk_gives_a_clear_error_and_loses_nothing(built, small_disk, tmp_path):
    data = fresh_copy(built.data_dir, small_disk / "data")
    token = add_curator(data, "durable")
    server = ServerProcess(data, tmp_path / "serve.log")
    try:
        server.start()
        _, committed = server.import_zone(token, CURATION + "before-full", "test-before-full")
        assert committed.status_code == 200
        before = _dump(data, tmp_path / "before.nq")  # the backup goes outside the small disk
        staged = server.stage(token, CURATION + "when-full", zone_turtle("test-when-full"))
        assert staged.status_code == 201
        filler = _fill(small_disk)

        refused = server.commit(token, staged.headers["Location"])
        assert refused.status_code == 500
        assert "could not be written" in refused.text and "nothing was changed" in refused.text
        assert "No space left on device" in refused.text
        assert "Traceback" not in refused.text
        put = requests.put(f"{server.base}/rdf-graphs", params={"graph": CURATION + "when-full-gsp"},
                           data=zone_turtle("test-when-full-gsp"), headers={**bearer(token), "Content-Type": "text/turtle"},
                           timeout=120)
        assert put.status_code == 500 and "nothing was changed" in put.text
        assert server.has_zone("test-before-full") and not server.has_zone("test-when-full")  # reads go on
        assert len(audit_entries(data)) == 1

        filler.unlink()
        server.stop()  # RocksDB keeps refusing writes after an I/O error until it is reopened
        server.start()
        assert server.has_zone("test-before-full")
        assert not server.has_zone("test-when-full") and not server.has_zone("test-when-full-gsp")
        server.stop()
        assert _dump(data, tmp_path / "after.nq") == before
        server.start()
        _, again = server.import_zone(token, CURATION + "after-full", "test-after-full")
        assert again.status_code == 200  # writable again once there is room
    finally:
        server.stop()


@pytest.fixture()
def read_only_bind(tmp_path):
    """A folder that can be made read-only with a read-only bind mount of itself."""
    why = _can_mount()
    if why:
        pytest.skip(why)
    mounted: list[Path] = []

    def make_read_only(folder: Path) -> None:
        _mount("--bind", str(folder), str(folder))
        mounted.append(folder)
        _mount("-o", "remount,bind,ro", str(folder))

    yield make_read_only
    for folder in reversed(mounted):
        _umount(folder)


def test_serve_on_a_read_only_data_folder_says_so_and_changes_nothing(server, data, tmp_path, read_only_bind):
    server.start()
    server.stop()
    before = _dump(data, tmp_path / "before.nq")
    read_only_bind(data)
    out = pilotkg("--data", str(data), "serve", "--port", "9", "--workers", "1")
    assert out.returncode == 1, out.stderr
    assert "not writable" in out.stderr and "Read-only file system" in out.stderr
    assert "Traceback" not in out.stderr
    assert _dump(data, tmp_path / "after.nq") == before  # dump still works: it opens the store read-only


def _ext4_image(tmp_path: Path) -> Path:
    why = _can_mount()
    if why:
        pytest.skip(why)
    mkfs = shutil.which("mkfs.ext4") or shutil.which("mkfs.ext4", path="/usr/sbin:/sbin")
    if mkfs is None:
        pytest.skip("no mkfs.ext4")
    image = tmp_path / "disk.img"
    with open(image, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run([mkfs, "-q", "-F", str(image)], check=True, capture_output=True)
    return image


def _fs_error_trigger(point: Path) -> Path:
    device = next(line.split()[0] for line in Path("/proc/mounts").read_text().splitlines()
                  if line.split()[1] == str(point))
    trigger = Path("/sys/fs/ext4") / Path(device).name / "trigger_fs_error"
    if not trigger.exists():
        pytest.skip(f"this kernel has no {trigger}")
    return trigger


def test_a_file_system_turning_read_only_loses_no_acknowledged_write(built, tmp_path):
    """An ext4 image mounted with errors=remount-ro; the kernel's trigger_fs_error makes it go
    read-only under the running server, as it would on a disk error. A write acknowledged just
    before must be on disk: RocksDB does not fsync its write-ahead log, so before EmbeddedStore.update
    flushed after each update, this write was lost (the audit log, fsync'ed, still listed it)."""
    image = _ext4_image(tmp_path)
    fsck = shutil.which("e2fsck") or shutil.which("e2fsck", path="/usr/sbin:/sbin")
    point = tmp_path / "ext4"
    point.mkdir()
    _mount("-o", "loop,errors=remount-ro", str(image), str(point))
    server = None
    try:
        data = fresh_copy(built.data_dir, point / "data")
        token = add_curator(data, "durable")
        server = ServerProcess(data, tmp_path / "serve.log")
        server.start()
        _, committed = server.import_zone(token, CURATION + "before-error", "test-before-error")
        assert committed.status_code == 200
        _fs_error_trigger(point).write_text("pilotkg durability test\n")  # the file system is now read-only
        with pytest.raises(OSError) as probe:
            (point / "probe").write_text("x")
        assert probe.value.errno == errno.EROFS

        _, refused = server.import_zone(token, CURATION + "after-error", "test-after-error")
        assert refused.status_code == 500, refused.text
        assert "could not be" in refused.text and "Traceback" not in refused.text
        server.stop()
        _umount(point)
        if fsck:
            subprocess.run([fsck, "-fy", str(image)], capture_output=True)
        _mount("-o", "loop,errors=remount-ro", str(image), str(point))
        server.start()
        assert server.has_zone("test-before-error"), "an acknowledged write was lost when the file system went read-only"
        assert not server.has_zone("test-after-error")
    finally:
        if server is not None:
            server.stop()
        _umount(point)


def test_a_store_error_in_process_gives_a_clear_message_and_changes_nothing(built, tmp_path):
    """The same error path without mounting anything (so it runs everywhere): the pyoxigraph store
    raises ENOSPC on update; then one whose update works but whose flush fails."""
    data = fresh_copy(built.data_dir, tmp_path / "data")
    token = add_curator(data, "durable")

    class Failing:
        def __init__(self, store, fail_update: bool):
            self._store, self._fail_update = store, fail_update

        def update(self, *args, **kwargs):
            if self._fail_update:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._store.update(*args, **kwargs)

        def flush(self):
            raise OSError(errno.EIO, "Input/output error")

        def __getattr__(self, name):
            return getattr(self._store, name)

        def __iter__(self):
            return iter(self._store)

        def __len__(self):
            return len(self._store)

    with serving(data, query_timeout=30) as app:
        service = app.extensions["pilotkg"]
        client = app.test_client()
        before = service.store.dump()
        real = service.store._store
        staged = client.post(f"/imports?graph={CURATION}injected", data=zone_turtle("test-injected"),
                             content_type="text/turtle", headers=bearer(token))
        assert staged.status_code == 201
        url = staged.headers["Location"]

        service.store._store = Failing(real, fail_update=True)
        resp = client.post(url + "/commit", headers=bearer(token))
        assert resp.status_code == 500
        assert "could not be written" in resp.text and "nothing was changed" in resp.text
        assert "No space left on device" in resp.text
        update = client.post("/sparql", data=f"INSERT DATA {{ GRAPH <{CURATION}injected-update> {{ <{ID}note/x> rdfs:comment \"x\" }} }}",
                             content_type="application/sparql-update", headers=bearer(token))
        assert update.status_code == 500 and "nothing was changed" in update.text
        service.store._store = real
        assert service.store.dump() == before
        assert not (data / "audit.jsonl").exists()
        assert client.get(url, headers=bearer(token)).get_json()["status"] == "staged"

        service.store._store = Failing(real, fail_update=False)
        resp = client.post(url + "/commit", headers=bearer(token))
        service.store._store = real
        assert resp.status_code == 500
        assert "applied but could not be made durable" in resp.text and "not in the audit log" in resp.text
        assert not (data / "audit.jsonl").exists()
        ask = client.get("/sparql", query_string={"query": f"ASK {{ <{zone_iri('test-injected')}> a pk:PilotZone }}"})
        assert ask.get_json()["boolean"] is True  # applied: queries see it, and the message said so


# --------------------------------------------------------------------------- a store in use


def test_serve_on_a_store_another_process_holds_says_so(server, data):
    server.start()
    out = pilotkg("--data", str(data), "serve", "--port", "9", "--workers", "1")
    assert out.returncode == 1
    assert "in use by another process" in out.stderr and "stop the server first" in out.stderr
    assert "Traceback" not in out.stderr
    assert requests.get(server.base + "/health", timeout=10).status_code == 200  # the first server is unharmed

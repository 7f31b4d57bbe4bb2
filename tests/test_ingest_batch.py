"""Batch ingest (issue 10, deliverable 5): ``pilotkg ingest`` on a folder or several
files runs them in parallel processes, or on a Dask cluster, one draft and one
report per text, a progress bar on a terminal, a summary table, deterministic files.

The folder holds the five texts of tests/data/ingest/, a text that is not UTF-8,
an empty one, and files a batch must skip (a curation file, a stale report).
Dask distributed is part of the test extra: without it these tests fail, never skip.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pilotkg.graph.cli import main
from pilotkg.graph.extract.batch import collect_texts, run_batch
from pilotkg.graph.extract.ingest import ingest
from support import console_script

DATA = Path(__file__).parent / "data" / "ingest"
TEXTS = sorted(p.name for p in DATA.glob("*.txt"))
GRAIN = "Opinions on the Grain Storage Pilot Areas\n\nBy 2025, every pilot area should run a depot.\n\nBy 2025, losses should halve.\n"


def pilotkg(*args, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    command = console_script("pilotkg")
    argv = [command] if command else [sys.executable, "-c", "from pilotkg.graph.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")}
    return subprocess.run([*argv, *map(str, args)], capture_output=True, text=True, encoding="utf-8", env=env, cwd=cwd,
                          timeout=300, **kwargs)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("batch") / "corpus"
    folder.mkdir()
    for name in TEXTS:
        (folder / name).write_bytes((DATA / name).read_bytes())
    (folder / "broken.txt").write_bytes("Pilot zones in Lüneburg".encode("latin-1"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.curation.yaml").write_text("policies: []\n", encoding="utf-8")
    (folder / "old.draft.report.txt").write_text("a report of an earlier run\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def jobs1(corpus):
    out = corpus.parent / "out-jobs1"
    return pilotkg("ingest", "corpus", "--jobs", "1", "--output-dir", out, cwd=corpus.parent), out


@pytest.fixture(scope="module")
def jobs2(corpus):
    out = corpus.parent / "out-jobs2"
    return pilotkg("ingest", "corpus", "--jobs", "2", "--output-dir", out, "--report", "json", cwd=corpus.parent), out


def _rows(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in stdout.splitlines() if line.startswith("corpus/")}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_folder_gives_its_texts_sorted_and_skips_curation_files_and_draft_outputs(corpus):
    texts, notes = collect_texts([corpus])
    assert [t.name for t in texts] == sorted(["broken.txt", "empty.txt", *TEXTS])
    assert notes == [f"{corpus}: skipped 1 draft output(s)"]
    again, _ = collect_texts([corpus / TEXTS[1], corpus, corpus / "notes.curation.yaml"])
    assert again == texts


def test_folder_run_summary_rows_failures_and_exit_code(jobs1, corpus):
    out, folder = jobs1
    assert out.returncode == 2, out.stderr  # two unusable texts
    rows = _rows(out.stdout)
    assert list(rows) == [f"corpus/{n}" for n in sorted(["broken.txt", "empty.txt", *TEXTS])]  # sorted text order
    head = out.stdout.splitlines()[0].split()
    assert head == ["text", "policy", "progr", "zones", "bodies", "resp", "dates", "counts", "unk.pl", "ambig", "viol", "warn",
                    "seconds", "result"]
    assert rows["corpus/broken.txt"][1:12] == ["-"] * 11
    assert "error: corpus/broken.txt: not UTF-8" in out.stdout
    assert "error: corpus/empty.txt: the text is empty" in out.stdout
    # per text: policy, programme, zones, bodies, responsibilities, dates, counts, unknown places, ambiguous, violations
    # (the Ministry of Civil Affairs is a known body, and "The ministry will lead the pilot work and review it"
    # gives it two roles; the dateline's "March 3" dates the page, the period ends in 2026)
    assert rows["corpus/elderly_care_pilot.txt"][1:11] == ["1", "1", "3", "1", "2", "2", "2", "0", "1", "0"]
    assert rows["corpus/highland_agriculture_pilot.txt"][3] == "5" and rows["corpus/digital_countryside_pilot.txt"][3] == "4"
    assert all(rows[f"corpus/{n}"][-1] == "conforms" for n in TEXTS)
    total = next(line for line in out.stdout.splitlines() if line.startswith("total"))
    assert total.split()[:5] == ["total", "(7", "texts)", "4", "5"]  # the irrigation text names no policy document
    assert total.split()[5] == "17"  # zones on the five texts
    assert total.endswith("5 conform, 0 with violations, 2 failed")
    assert re.search(r"^ingested 7 text\(s\) in [\d.]+ s on 1 worker process\(es\): 5 draft\(s\) written, 5 conform, "
                     r"0 with violations, 2 failed \(exit 2\)$", out.stderr, re.M), out.stderr
    assert "Note: corpus: skipped 1 draft output(s)" in out.stderr
    assert "Ingesting" not in out.stderr  # no progress bar: stderr is not a terminal
    names = sorted(p.name for p in folder.iterdir())
    stems = [n[:-4] for n in TEXTS]
    assert names == sorted([f"{s}.draft.trig" for s in stems] + [f"{s}.draft.report.txt" for s in stems])
    assert not list(corpus.glob("*.draft.trig"))  # --output-dir: nothing beside the texts
    mask = os.umask(0o022)
    os.umask(mask)
    assert (folder / "coastal_wetland_pilot.draft.trig").stat().st_mode & 0o777 == 0o666 & ~mask  # as open() makes it
    report = (folder / "coastal_wetland_pilot.draft.report.txt").read_text(encoding="utf-8")
    assert report.startswith("Ingested coastal_wetland_pilot.txt into the draft graph")
    assert "bodies: Ministry of Ecology and Environment  [189–224]" in report  # a known body since the national bodies


def test_drafts_are_those_of_the_single_text_command(jobs1, corpus):
    _out, folder = jobs1
    for name in ("coastal_wetland_pilot", "elderly_care_pilot"):
        result = ingest(corpus / f"{name}.txt")
        assert (folder / f"{name}.draft.trig").read_bytes() == result.trig().encode("utf-8")
        assert (folder / f"{name}.draft.report.txt").read_text(encoding="utf-8") == result.as_text() + "\n"


def test_drafts_are_byte_identical_whatever_the_number_of_processes(jobs1, jobs2):
    (one, folder1), (two, folder2) = jobs1, jobs2
    assert two.returncode == one.returncode == 2
    assert "on 1 worker process(es)" in one.stderr and "on 2 worker process(es)" in two.stderr
    drafts1 = {n: b for n, b in _files(folder1).items() if n.endswith(".draft.trig")}
    drafts2 = {n: b for n, b in _files(folder2).items() if n.endswith(".draft.trig")}
    assert len(drafts1) == 5 and drafts1 == drafts2


def test_json_report_holds_every_text_and_the_summary(jobs2, corpus):
    out, folder = jobs2
    doc = json.loads(out.stdout)
    assert set(doc) == {"texts", "summary"}
    names = [t["name"] for t in doc["texts"]]
    assert names == [f"corpus/{n}" for n in sorted(["broken.txt", "empty.txt", *TEXTS])]
    by_name = {Path(t["name"]).name: t for t in doc["texts"]}
    broken = by_name["broken.txt"]
    assert broken["status"] == "failed" and broken["exit_code"] == 2 and broken["report"] is None and broken["draft_file"] is None
    assert "not UTF-8" in broken["error"]
    coastal = by_name["coastal_wetland_pilot.txt"]
    assert coastal["status"] == "conforms" and coastal["exit_code"] == 0 and coastal["error"] is None
    assert coastal["draft_file"] == str(folder / "coastal_wetland_pilot.draft.trig")
    assert coastal["report_file"] == str(folder / "coastal_wetland_pilot.draft.report.json")
    assert coastal["counts"]["zones"] == 3 and coastal["unknown_bodies"] == 0 and coastal["violations"] == 0
    assert coastal["report"]["file"] == "corpus/coastal_wetland_pilot.txt"
    assert coastal["report"]["graph"] == "https://w3id.org/pilotkg/id/graph/draft/coastal-wetland-pilot"
    assert coastal["report"]["validation"]["conforms"] is True
    assert json.loads((folder / "coastal_wetland_pilot.draft.report.json").read_text(encoding="utf-8")) == coastal["report"]
    expected = ingest(corpus / "coastal_wetland_pilot.txt").as_dict() | {"file": "corpus/coastal_wetland_pilot.txt"}
    assert coastal["report"] == json.loads(json.dumps(expected, ensure_ascii=False))
    summary = doc["summary"]
    assert summary["exit_code"] == 2 and summary["jobs"] == 2 and summary["runner"] == "2 worker process(es)"
    assert [r["name"] for r in summary["rows"]] == names
    totals = summary["totals"]
    assert (totals["texts"], totals["conform"], totals["with_violations"], totals["failed"]) == (7, 5, 0, 2)
    assert totals["counts"]["zones"] == 17 and totals["ambiguous_places"] == 1 and totals["violations"] == 0
    assert "ingested 7 text(s)" in out.stderr


def _on_a_terminal(*args, cwd: Path) -> tuple[int, str, str]:
    """Run pilotkg with its stderr on a pseudo-terminal; return the exit code, stdout, and what the terminal got."""
    command = console_script("pilotkg")
    argv = [command] if command else [sys.executable, "-c", "from pilotkg.graph.cli import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKG_")} | {"COLUMNS": "200", "TERM": "xterm"}
    master, slave = pty.openpty()
    proc = subprocess.Popen([*argv, *map(str, args)], stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                            env=env, cwd=cwd)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    stdout = proc.stdout.read().decode("utf-8")
    return proc.wait(timeout=60), stdout, seen.decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_not_with_quiet_and_exit_1_for_violations(tmp_path):
    (tmp_path / "grain.txt").write_text(GRAIN, encoding="utf-8")  # a draft with a violation
    smart = tmp_path / "smart_irrigation_pilot.txt"
    smart.write_bytes((DATA / smart.name).read_bytes())
    code, stdout, terminal = _on_a_terminal("ingest", ".", "--jobs", "2", "--output-dir", "bar", cwd=tmp_path)
    assert code == 1, terminal  # the worst of the texts': some violations, nothing unusable
    assert re.search(r"Ingesting\s+\[[#-]+\]\s+1/2", terminal), terminal
    assert re.search(r"Ingesting\s+\[#+\]\s+2/2\s+100%", terminal), terminal
    assert "ingested 2 text(s)" in terminal and "total (2 texts)" in stdout
    grain_row = next(line for line in stdout.splitlines() if line.startswith("grain.txt"))
    assert grain_row.endswith("violations") and grain_row.split()[10] == "1"
    assert (tmp_path / "bar" / "grain.draft.trig").is_file()
    code, stdout, terminal = _on_a_terminal("ingest", ".", "--jobs", "2", "--output-dir", "quiet", "--quiet", cwd=tmp_path)
    assert code == 1 and "Ingesting" not in terminal and "ingested 2 text(s)" in terminal


def test_a_killed_worker_fails_its_text_only(tmp_path, monkeypatch):
    texts = []
    for name in ("elderly_care_pilot.txt", "smart_irrigation_pilot.txt"):
        texts.append(tmp_path / name)
        texts[-1].write_bytes((DATA / name).read_bytes())
    texts.append(tmp_path / "crash.txt")
    texts[-1].write_bytes((DATA / "elderly_care_pilot.txt").read_bytes())
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # the spawned workers import the job by its module name
    from batch_crash_job import crash_on_crash_texts

    started = time.monotonic()
    result = run_batch(sorted(texts), jobs=2, job_fn=crash_on_crash_texts)
    assert time.monotonic() - started < 120
    by_name = {Path(o.name).name: o for o in result.outcomes}
    assert by_name["crash.txt"].status == "failed" and by_name["crash.txt"].exit_code == 2
    assert by_name["crash.txt"].error == "the worker process ingesting this text died (killed or crashed)"
    assert by_name["elderly_care_pilot.txt"].status == "conforms" and by_name["smart_irrigation_pilot.txt"].status == "conforms"
    assert (tmp_path / "smart_irrigation_pilot.draft.trig").is_file() and not (tmp_path / "crash.draft.trig").exists()
    assert result.exit_code == 2


def test_dask_local_cluster_gives_the_same_bytes_as_local_processes(jobs2, corpus):
    from distributed import LocalCluster  # the test extra installs dask[distributed]: fail, never skip, without it

    local_run, local = jobs2
    folder = corpus.parent / "out-dask"
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        out = pilotkg("ingest", "corpus", "--scheduler", cluster.scheduler_address, "--output-dir", folder, "--report", "json",
                      cwd=corpus.parent)
    assert out.returncode == 2, out.stderr
    assert f"on the Dask scheduler at {cluster.scheduler_address}" in out.stderr
    assert _files(folder) == _files(local)  # drafts and JSON reports, byte for byte
    assert len(_files(folder)) == 10
    dask_doc, local_doc = json.loads(out.stdout), json.loads(local_run.stdout)
    assert [t["report"] for t in dask_doc["texts"]] == [t["report"] for t in local_doc["texts"]]
    assert [t["error"] for t in dask_doc["texts"]] == [t["error"] for t in local_doc["texts"]]
    assert dask_doc["summary"]["runner"] == f"the Dask scheduler at {cluster.scheduler_address}"


def test_dask_options_without_dask_name_the_extra(corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    res = CliRunner().invoke(main, ["ingest", str(corpus), "--dask", "local", "--output-dir", str(corpus.parent / "none")])
    assert res.exit_code == 2
    assert "Dask distributed is not installed: install the extra with pip install 'pilotkg[dask]'" in res.stderr
    assert not (corpus.parent / "none").exists()


def test_batch_refuses_options_of_one_text_and_clashing_outputs(tmp_path, corpus):
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(corpus), "--title", "A title"])
    assert res.exit_code == 2 and "--title applies to one text" in res.stderr
    res = runner.invoke(main, ["ingest", str(corpus), "--scheduler", "tcp://127.0.0.1:1", "--dask", "local"])
    assert res.exit_code == 2 and "either --scheduler ADDRESS or --dask local" in res.stderr
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / TEXTS[0]).write_bytes((DATA / TEXTS[0]).read_bytes())
    res = runner.invoke(main, ["ingest", str(corpus / TEXTS[0]), str(other / TEXTS[0]), "--output-dir", str(tmp_path / "o")])
    assert res.exit_code == 2 and "would both write" in res.stderr
    res = runner.invoke(main, ["ingest", str(tmp_path / "elsewhere" / "nothing-here")])
    assert res.exit_code == 2  # one missing file: the single-text command, unchanged

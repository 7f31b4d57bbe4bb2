"""A throwaway Virtuoso (Debian's virtuoso-opensource 7) on 127.0.0.1, for the tests.

Its own folder holds its virtuoso.ini (free HTTP and SQL ports on 127.0.0.1, DirsAllowed the
folder only, Debian's ResultSetMaxRows) and its database. Once it answers, ``isql`` grants SPARQL_UPDATE to the
``SPARQL`` user, the anonymous user of ``/sparql`` and ``/sparql-graph-crud``: pilotkg sends
no credentials Virtuoso understands (only a Bearer token), so such a Virtuoso must be
reachable by pilotkg alone (see the README's recipe). It is stopped by its process id.

Missing Virtuoso: the tests skip, or fail when the ``CI`` environment variable is set
(.ci/run installs the package).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from support import free_port, wait_for_url

INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 200M

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 8
MaxClientConnections = 8
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = {result_rows}
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 400
"""

RESULT_ROWS = 10_000  # Debian's cap (the tests' answers stay below it; one test goes past it)
GRANTS = 'grant SPARQL_UPDATE to "SPARQL";'


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def binaries() -> tuple[str, str]:
    """(virtuoso-t, isql) or skip (fail in CI)."""
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql")
    if not server or not isql:
        reason = "needs Virtuoso (apt-get install virtuoso-opensource: virtuoso-t and isql-vt)"
        if _ci():
            pytest.fail(f"{reason} (the CI environment variable is set: these tests may not be skipped)", pytrace=False)
        pytest.skip(reason)
    return server, isql


class Virtuoso:
    def __init__(self, folder: Path, ini: str = INI):
        server, self.isql = binaries()
        self.folder = folder
        self.http_port, self.sql_port = free_port(), free_port()
        (folder / "virtuoso.ini").write_text(ini.format(result_rows=RESULT_ROWS, dir=folder, sql_port=self.sql_port, http_port=self.http_port))
        self.url = f"http://127.0.0.1:{self.http_port}/sparql"
        self.log = folder / "stdout.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen([server, "+configfile", str(folder / "virtuoso.ini"), "+foreground"],
                                            cwd=folder, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_url(self.url + "?query=ASK%20%7B%7D", self.process, self.log, 90)
            done = subprocess.run([self.isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={GRANTS}"],
                                  capture_output=True, text=True, timeout=30)
            assert done.returncode == 0 and "Error" not in done.stdout, done.stdout + done.stderr
        except BaseException:
            self.stop()
            raise


    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

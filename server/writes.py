"""Writes that keep the dataset valid: planned on a copy, validated, committed in
one transaction, serialised, recorded; and staged imports that a curator
reviews (report and exact diff) before committing."""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field

from pilotkg.graph.curate import WritePlan, WriteRefused, commit, commit_update_text
from pilotkg.graph.store import StoreNotDurable

from .audit import AuditError
from .workers import PlanJob, plan_write

log = logging.getLogger("pilotkg.server.writes")

# TEST ONLY, off by default: with PILOTKG_TEST_SLOW_COMMIT=SECONDS in the server's environment, every
# write logs a line, waits SECONDS inside the write lock (after its plan was validated, just before
# the store update) and logs a second line as the update starts, so that a test can kill the server
# at a known point of a commit (tests/test_durability.py). Never set it on a real server.
TEST_SLOW_COMMIT = "PILOTKG_TEST_SLOW_COMMIT"


def _test_only_pause(quads: int) -> None:
    value = os.environ.get(TEST_SLOW_COMMIT)
    if not value:
        return
    log.warning("%s (test only): waiting %s s before committing %d quads", TEST_SLOW_COMMIT, value, quads)
    time.sleep(float(value))
    log.warning("%s (test only): committing %d quads now", TEST_SLOW_COMMIT, quads)


@dataclass
class Import:
    """A staged import: the data, where it goes, and the plan computed for it."""

    id: str
    graph: str
    replace: bool
    quads: list
    curator: str
    created: float
    plan: WritePlan
    version: int  # the store's data version the plan was computed on
    status: str = "staged"  # staged | committing | committed | discarded
    committed_at: float | None = None
    history: list = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "graph": self.graph,
            "mode": "replace" if self.replace else "add",
            "curator": self.curator,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created)),
            "triples_submitted": len(self.quads),
            **self.plan.summary(),
        }


class Writes:
    """Every write goes through here: one at a time, each validated before it commits."""

    def __init__(self, service):
        self.service = service
        self.lock = service.write_lock
        self.version = 0  # bumped by every commit
        self.imports: dict[str, Import] = {}

    # -- planning ---------------------------------------------------------
    # A server plans in a worker process (``service.run_plan``): the update or the uploaded document
    # is untrusted, so it is parsed and evaluated where a time limit and a memory cap can stop it and
    # no network can be reached. ``pilotkg import`` (a local user's own file, no server) plans here.

    def _run(self, job: PlanJob) -> tuple[WritePlan, list | None]:
        run_plan = getattr(self.service, "run_plan", None)
        if run_plan is not None:
            return run_plan(job)
        return plan_write(self.service.store, job)

    def plan_update(self, update: str, *, base_iri: str | None = None) -> WritePlan:
        # CLEAR ALL / DROP ALL only where nothing was built to protect (pilotkg serve --empty)
        empty = bool(getattr(getattr(self.service, "config", None), "empty", False))
        return self._run(PlanJob("update", update=update, base_iri=base_iri, allow_clear_all=empty))[0]

    def plan_graph(self, graph: str, quads: list, *, replace: bool) -> WritePlan:
        return self._run(PlanJob("graph", graph=graph, quads=quads, replace=replace))[0]

    def plan_document(self, graph: str, data: bytes, fmt: str, *, replace: bool,
                      source: str = "the submitted data") -> tuple[WritePlan, list]:
        """Parse an uploaded document (in the worker, with the upload limits) and plan putting it
        into ``graph``; returns the plan and the parsed quads."""
        return self._run(PlanJob("graph", graph=graph, data=data, fmt=fmt, source=source, replace=replace))

    def plan_drop(self, graph: str) -> WritePlan:
        return self._run(PlanJob("drop", graph=graph))[0]

    # -- committing -------------------------------------------------------

    def commit(self, make_plan, *, curator: str, role: str, action: str, request_id: str,
               import_id: str | None = None, remote_addr: str | None = None) -> dict:
        """Plan (under the write lock, on the current data) and commit if no shape is violated;
        return the audit entry (with the exact triples added and removed per graph).

        Raises WriteRefused (with the report) and changes nothing otherwise.
        """
        with self.lock:
            the_plan = make_plan()
            if the_plan.evidence_problems:
                raise WriteRefused("evidence quotes are not at their offsets in their texts; nothing was changed: "
                                   + "; ".join(the_plan.evidence_problems[:5]))
            if not the_plan.allowed:
                raise WriteRefused("the write would violate the shapes; nothing was changed", the_plan.report)
            text = commit_update_text(the_plan)
            if text:
                _test_only_pause(len(the_plan.data.added) + len(the_plan.data.removed)
                                 + len(the_plan.inferred.added) + len(the_plan.inferred.removed))
                try:
                    commit(self.service.store, the_plan)
                except StoreNotDurable:  # applied (queries see it) but perhaps not on disk: say so, record nothing
                    self.version += 1
                    self.service.after_write()
                    raise
                self.version += 1
                self.service.after_write()
            counts = the_plan.data.counts()
            return self.service.audit.record(
                curator=curator, role=role, action=action, request_id=request_id, import_id=import_id,
                remote_addr=remote_addr, graphs=sorted(counts),
                added={g: c["added"] for g, c in counts.items() if c["added"]},
                removed={g: c["removed"] for g, c in counts.items() if c["removed"]},
            )

    # -- staged imports ---------------------------------------------------

    def stage(self, graph: str, data: bytes, fmt: str, *, replace: bool, curator: str,
              source: str = "the submitted data") -> Import:
        # Under the write lock, like every other plan: the version must be the one the plan was made
        # on (read after planning, a commit made meanwhile would let a stale plan commit unchecked),
        # and a plan reads the store as the last commit left it.
        with self.lock:
            version = self.version
            the_plan, quads = self.plan_document(graph, data, fmt, replace=replace, source=source)
        item = Import(uuid.uuid4().hex, graph, replace, quads, curator, time.time(), the_plan, version)
        self.imports[item.id] = item
        return item

    def commit_import(self, item: Import, *, curator: str, role: str, request_id: str) -> Import:
        if item.status != "staged":
            raise WriteRefused(f"import {item.id} is {item.status}, not staged", status=409)

        def replan():
            # Checked again under the write lock: two commits of one import sent together both pass the
            # check above, and the second, planned after the first committed, was recorded a second time.
            if item.status != "staged":
                raise WriteRefused(f"import {item.id} is {item.status}, not staged", status=409)
            if item.version != self.version:  # the store changed since staging: plan again on today's data
                item.plan = self.plan_graph(item.graph, item.quads, replace=item.replace)
                item.version = self.version
            item.status = "committing"
            return item.plan

        try:
            self.commit(replan, curator=curator, role=role, action="import-commit", request_id=request_id, import_id=item.id)
        except (AuditError, StoreNotDurable):  # applied (maybe not recorded or flushed): never commit it twice
            item.status, item.committed_at = "committed", time.time()
            raise
        except BaseException:
            if item.status == "committing":  # refused or not written: it can be committed again
                item.status = "staged"
            raise
        item.status, item.committed_at = "committed", time.time()
        return item

    def discard(self, item: Import) -> None:
        if item.status in ("committed", "committing"):
            raise WriteRefused(f"import {item.id} is already {item.status}", status=409)
        item.status = "discarded"

"""The second wall: worker processes that cannot reach the network, with a memory cap.

Every query, update plan, validation and upload parse runs in a worker process
(:mod:`pilotkg.server.workers`). When a worker starts, before it reads a single
job, it calls :func:`confine`:

- **No network.** On Linux (x86-64 and AArch64) a seccomp filter is installed
  for the whole process (all threads, inherited by any child): ``socket()``
  fails with ``EACCES`` for every address family but ``AF_UNIX``, and
  ``io_uring_setup()`` (which can open sockets on its own) fails with
  ``ENOSYS``. Sockets the worker already holds (its pipe to the server) keep
  working; no new TCP, UDP, raw or netlink socket can be made, so whatever a
  query or document says, no connection leaves the worker. ``no_new_privs`` is
  set first, as the kernel requires, so the filter cannot be undone, not even
  by a process the worker might exec. The filter is a small classic-BPF program
  written here and loaded with the ``seccomp(2)`` system call through ctypes
  (no library needed). Where that is impossible (not Linux, another
  architecture, a kernel without seccomp) :func:`confine` reports
  ``network=False`` and the first wall (:mod:`pilotkg.graph.sparql_safety`)
  stands alone; the server logs a warning at start.
- **A memory cap.** ``RLIMIT_AS`` (address space) is set to the configured
  number of bytes, so a document or query that would grow without bound fails
  with ``MemoryError`` (or an allocation failure) in the worker, which the
  server reports and replaces; the server process itself never grows.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import resource
import socket
import struct
import sys
from dataclasses import dataclass

# linux/audit.h, linux/seccomp.h, linux/filter.h
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SYSCALLS = {  # socket, io_uring_setup, seccomp
    "x86_64": (41, 425, 317),
    "aarch64": (198, 425, 277),
}
_X32_SYSCALL_BIT = 0x40000000
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_PR_SET_NO_NEW_PRIVS = 38
_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_RET_K = 0x06
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6];
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16


@dataclass(frozen=True)
class Confinement:
    network: bool  # True if new network sockets are refused in this process
    memory_bytes: int | None  # the address-space cap set, or None
    reason: str = ""  # why the network could not be shut off, if it could not


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def network_filter(machine: str) -> bytes:
    """The BPF program (bytes of ``struct sock_filter``) refusing network sockets on ``machine``."""
    arch = _AUDIT_ARCH[machine]
    socket_nr, io_uring_nr, _ = _SYSCALLS[machine]
    deny_socket = _SECCOMP_RET_ERRNO | errno.EACCES
    deny_other = _SECCOMP_RET_ERRNO | errno.ENOSYS
    program = [
        # 0: another ABI (i386 on x86-64, AArch32 on AArch64) has other numbers: refuse it outright
        (_BPF_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        (_BPF_JEQ_K, 1, 0, arch),
        (_BPF_RET_K, 0, 0, deny_other),
        # 3: the system call number
        (_BPF_LD_W_ABS, 0, 0, _OFFSET_NR),
        # 4: x32 system calls (x86-64 only, numbers with bit 30 set) are refused as well
        (_BPF_JGE_K, 0, 1, _X32_SYSCALL_BIT) if machine == "x86_64" else (_BPF_JEQ_K, 0, 1, 0xFFFFFFFF),
        (_BPF_RET_K, 0, 0, deny_other),
        # 6: io_uring could open sockets without socket(2)
        (_BPF_JEQ_K, 0, 1, io_uring_nr),
        (_BPF_RET_K, 0, 0, deny_other),
        # 8: socket(domain, ...): only AF_UNIX
        (_BPF_JEQ_K, 0, 3, socket_nr),
        (_BPF_LD_W_ABS, 0, 0, _OFFSET_ARG0),
        (_BPF_JEQ_K, 1, 0, socket.AF_UNIX),
        (_BPF_RET_K, 0, 0, deny_socket),
        # 12: everything else
        (_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
    ]
    return b"".join(_instruction(*ins) for ins in program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def deny_network() -> tuple[bool, str]:
    """Install the seccomp filter in this process (all its threads); (done, why not)."""
    if not sys.platform.startswith("linux"):
        return False, f"seccomp filters exist on Linux only (this is {sys.platform})"
    machine = platform.machine()
    if machine not in _AUDIT_ARCH:
        return False, f"no network filter is written for the {machine} architecture"
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
    code = network_filter(machine)
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.addressof(buffer))
    seccomp_nr = _SYSCALLS[machine][2]
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(seccomp_nr, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(prog)) != 0:
        return False, f"seccomp(SECCOMP_SET_MODE_FILTER) failed: {os.strerror(ctypes.get_errno())}"
    return True, ""


def cap_memory(limit_bytes: int | None) -> int | None:
    """Cap this process's address space at ``limit_bytes`` (never raising an existing lower cap)."""
    if not limit_bytes:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit_bytes = min(limit_bytes, hard)
    if soft != resource.RLIM_INFINITY and soft < limit_bytes:
        return soft
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, hard))
    return limit_bytes


def confine(memory_bytes: int | None, *, network: bool = False) -> Confinement:
    """Make this process a worker: no new network sockets (unless ``network`` is allowed, as a
    worker that must reach a remote store needs) and an address-space cap."""
    capped = cap_memory(memory_bytes)
    if network:
        return Confinement(False, capped, "the worker must reach a remote store (--store)")
    done, reason = deny_network()
    return Confinement(done, capped, reason)

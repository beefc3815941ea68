#!/usr/bin/env python3
"""Runs notebook cells headless in a Jupyter kernel for the course's grader and notebook tests.

Spawned by lib/grading/executor.ts with a JSON plan on stdin; writes one JSON object per line on stdout:
  {"event": "kernel", "pid": ..., "pgid": ..., "start": n}      a kernel started (n = 1, 2, ...)
  {"event": "cell", "index": i, "status": ..., "stdout": ..., "stderr": ..., "display": ..., "seconds": ...}
  {"event": "restart", "reason": ..., "replayed": [...], "dropped": [...]}
  {"event": "done", "seconds": ...}   or   {"event": "fatal", "message": ...}
Cell status: ok | error | timeout | dead | not_run; a dead cell may carry "cause": "memory" (heap or cgroup
limit) and a timed-out or dead cell "leftover": true when the kernel was still busy with what an earlier
cell left behind (a timer, a pending loop) rather than with this cell's own code.

With a "sandbox" in the plan (lib/grading/sandbox.ts) the kernel command is prefixed (cgroups, bubblewrap),
the kernel talks over Unix sockets in the sandbox's private folder (it has no network), its stderr goes to a
file read back to tell a memory limit from another death, and interrupts go to the kernel process itself
(a signal to bubblewrap's process group would kill the sandbox).

Why a separate driver rather than `nbconvert --execute`: tslab aborts every request that arrives within
200 ms of an error reply, an infinite loop after an `await` cannot be interrupted by SIGINT, and a cell may
kill the kernel (`process.exit`). The driver waits after errors, kills the kernel's process group when an
interrupt does not answer, restarts the kernel, replays the cells that had succeeded, and goes on.
"""
import glob
import json
import os
import signal
import sys
import time

from jupyter_client import KernelManager

# tslab rejects requests for 200 ms after an error reply (execQueue.reset(200)); keep a safety margin.
ABORT_WINDOW = 0.3
# Keep the start and the end of huge outputs: a grading cell's result line is printed last.
OUTPUT_HEAD = 64 * 1024
OUTPUT_TAIL = 64 * 1024
MAX_RESTARTS = 20
# Run after a replayed cell (and after an interrupted one): a kernel still busy with a timer or a loop that
# a cell left behind does not answer it, and that cell is to blame, not the next one.
PROBE_CODE = "await new Promise((resolve) => setTimeout(resolve, 200));"
PROBE_TIMEOUT = 3.0


def emit(event):
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class Capped:
    """Text accumulator that keeps a bounded head and tail."""

    def __init__(self):
        self.head = []
        self.head_size = 0
        self.tail = ""
        self.dropped = 0

    def add(self, text):
        if self.head_size < OUTPUT_HEAD:
            room = OUTPUT_HEAD - self.head_size
            self.head.append(text[:room])
            self.head_size += len(text[:room])
            text = text[room:]
        if text:
            self.tail += text
            if len(self.tail) > OUTPUT_TAIL:
                self.dropped += len(self.tail) - OUTPUT_TAIL
                self.tail = self.tail[-OUTPUT_TAIL:]

    def value(self):
        middle = "\n[… %d caractères omis …]\n" % self.dropped if self.dropped else ""
        return "".join(self.head) + middle + self.tail


class DeadlineReached(Exception):
    pass


class Runner:
    def __init__(self, plan):
        self.plan = plan
        self.kernel_name = plan.get("kernel", "tslab")
        self.cwd = plan["cwd"]
        self.env = dict(os.environ)
        self.env.update(plan.get("env", {}))
        self.cell_timeout = float(plan.get("cellTimeout", 60))
        self.grace = float(plan.get("interruptGrace", 3))
        self.startup_timeout = float(plan.get("startupTimeout", 60))
        self.started = time.monotonic()
        self.deadline = self.started + float(plan.get("deadline", 180))
        self.km = None
        self.kc = None
        self.starts = 0
        self.last_error = 0.0
        self.cause = None
        self.sandbox = plan.get("sandbox")
        self.stderr_file = None
        self.stderr_path = None
        self.oom_kills = 0
        # What runs before each kernel's first student cell (the grader's setup, which reads the payload).
        self.payload = plan.get("payload")

    # ---- kernel lifecycle -------------------------------------------------------------------------

    def start_kernel(self):
        if time.monotonic() >= self.deadline:
            raise DeadlineReached()
        self.starts += 1
        # jupyter_client launches the kernel with start_new_session=True: it leads its own process group,
        # so a kill reaches whatever the kernel spawned too.
        if self.sandbox:
            self.km = self.sandboxed_manager()
            self.km.start_kernel(cwd=self.cwd, env=self.env, stderr=self.stderr_file)
        else:
            self.km = KernelManager(kernel_name=self.kernel_name)
            self.write_payload()
            self.km.start_kernel(cwd=self.cwd, env=self.env)
        provisioner = self.km.provisioner
        emit({"event": "kernel", "pid": getattr(provisioner, "pid", None), "pgid": getattr(provisioner, "pgid", None), "start": self.starts})
        self.kc = self.km.client()
        self.kc.start_channels()
        timeout = max(1.0, min(self.startup_timeout, self.deadline - time.monotonic()))
        try:
            self.kc.wait_for_ready(timeout=timeout)
        except RuntimeError:
            self.kill_kernel()
            if time.monotonic() >= self.deadline:
                raise DeadlineReached()
            raise
        self.last_error = 0.0

    def write_payload(self):
        """The grader's secret for this kernel: a fresh file (never through a link the student left)."""
        if not self.payload:
            return
        target = self.payload["file"]
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise RuntimeError("payload path is a folder")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(self.payload["content"])

    def sandboxed_manager(self):
        box = self.sandbox
        private = box["privateDir"]
        # Leftovers of the previous kernel (sockets, links, a student's files) go: the folder is shared.
        for entry in os.listdir(private):
            full = os.path.join(private, entry)
            if os.path.isdir(full) and not os.path.islink(full):
                continue
            try:
                os.unlink(full)
            except OSError:
                pass
        self.write_payload()
        ip = os.path.join(private, "k%d" % self.starts)
        km = KernelManager(kernel_name=self.kernel_name, transport="ipc", ip=ip)
        km.connection_file = os.path.join(private, "kernel-%d.json" % self.starts)
        km.write_connection_file()
        # tslab binds "ipc://<ip>:<port>", jupyter_client connects to "ipc://<ip>-<port>": a link joins them.
        for name in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"):
            port = getattr(km, name)
            os.symlink("%s:%d" % (os.path.basename(ip), port), "%s-%d" % (ip, port))
        spec = km.kernel_spec
        argv = list(spec.argv)
        spec.argv = list(box.get("prefix", [])) + argv[:1] + list(box.get("nodeFlags", [])) + argv[1:]
        if self.stderr_file is not None:
            self.stderr_file.close()
        self.stderr_path = os.path.join(private, "kernel-stderr-%d.log" % self.starts)
        self.stderr_file = open(self.stderr_path, "w")
        return km

    def kernel_host_pid(self):
        """Host pid of the sandboxed node process: pid 2 of the kernel's PID namespace (bwrap is pid 1)."""
        root = getattr(self.km.provisioner, "pid", None) if self.km and self.km.provisioner else None
        if root is None:
            return None
        for status in glob.glob("/proc/[0-9]*/status"):
            try:
                with open(status) as handle:
                    text = handle.read()
            except OSError:
                continue
            for line in text.splitlines():
                if line.startswith("NSpid:"):
                    ids = line.split()[1:]
                    if len(ids) >= 2 and ids[-1] == "2" and self.descends_from(int(ids[0]), root):
                        return int(ids[0])
        return None

    @staticmethod
    def descends_from(pid, ancestor):
        for _ in range(8):
            if pid == ancestor:
                return True
            try:
                with open("/proc/%d/stat" % pid) as handle:
                    pid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return False
            if pid <= 1:
                return False
        return False

    def interrupt(self):
        if not self.sandbox:
            self.km.interrupt_kernel()
            return
        pid = self.kernel_host_pid()
        if pid is not None:
            os.kill(pid, signal.SIGINT)

    def death_cause(self):
        """'memory' when the kernel died of a memory limit (V8 heap or cgroup), else None."""
        box = self.sandbox or {}
        group = box.get("memoryCgroup")
        if group:
            try:
                with open(os.path.join(group, "memory.oom_control")) as handle:
                    for line in handle:
                        if line.startswith("oom_kill "):
                            count = int(line.split()[1])
                            if count > self.oom_kills:
                                self.oom_kills = count
                                return "memory"
            except (OSError, ValueError):
                pass
        if self.stderr_path:
            try:
                with open(self.stderr_path, errors="replace") as handle:
                    text = handle.read()[-20000:]
            except OSError:
                text = ""
            if "heap out of memory" in text or "Reached heap limit" in text:
                return "memory"
        return None

    def kill_kernel(self):
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
            self.kc = None
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                # shutdown_kernel can fail half-way on a dead kernel; make sure the group is gone.
                pgid = getattr(self.km.provisioner, "pgid", None) if self.km.provisioner else None
                if pgid:
                    try:
                        os.killpg(pgid, signal.SIGKILL)
                    except OSError:
                        pass
            self.km = None

    # ---- one execute request ----------------------------------------------------------------------

    def execute(self, code, timeout):
        """Runs one cell; returns (status, stdout, stderr, display). timeout/dead leave no usable kernel."""
        wait = self.last_error + ABORT_WINDOW - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        for _ in range(3):
            result = self.execute_once(code, timeout)
            if result[0] != "abort":
                return result
            # Should not happen given the pause above, but an aborted request never ran: send it again.
            time.sleep(ABORT_WINDOW)
        return ("error", result[1], result[2] + "\nrequête abandonnée par le noyau", result[3])

    def execute_once(self, code, timeout):
        kc, km = self.kc, self.km
        msg_id = kc.execute(code, store_history=True, allow_stdin=False)
        stdout, stderr, display = Capped(), Capped(), Capped()
        start = time.monotonic()
        cell_deadline = min(start + timeout, self.deadline)
        interrupted_at = None
        reply_status = None
        reply_at = None
        idle = False
        next_alive_check = start + 0.5
        while True:
            now = time.monotonic()
            if reply_status is not None and (idle or now > reply_at + 2.0):
                break
            if now >= self.deadline:
                self.kill_kernel()
                return ("deadline", stdout.value(), stderr.value(), display.value())
            if interrupted_at is None and now >= cell_deadline:
                try:
                    self.interrupt()
                except Exception:
                    pass
                interrupted_at = now
            if interrupted_at is not None and now >= interrupted_at + self.grace:
                # SIGINT only works while tslab runs synchronous code under breakOnSigint; a loop after an
                # `await` blocks the event loop for good.
                self.kill_kernel()
                return ("timeout", stdout.value(), stderr.value(), display.value())
            try:
                msg = kc.get_iopub_msg(timeout=0.05)
            except Exception:
                msg = None
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
                kind = msg["msg_type"]
                content = msg["content"]
                if kind == "stream":
                    (stdout if content.get("name") == "stdout" else stderr).add(content.get("text", ""))
                elif kind in ("display_data", "execute_result"):
                    text = content.get("data", {}).get("text/plain")
                    if text is not None:
                        display.add(text + "\n")
                elif kind == "error":
                    stderr.add("%s: %s\n" % (content.get("ename", ""), content.get("evalue", "")))
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
                continue
            if reply_status is None:
                try:
                    reply = kc.get_shell_msg(timeout=0.01)
                except Exception:
                    reply = None
                if reply is not None and reply.get("parent_header", {}).get("msg_id") == msg_id:
                    reply_status = reply["content"].get("status", "error")
                    reply_at = time.monotonic()
            if now >= next_alive_check:
                next_alive_check = now + 0.5
                if not km.is_alive():
                    time.sleep(0.1)
                    self.cause = self.death_cause()
                    self.kill_kernel()
                    return ("dead", stdout.value(), stderr.value(), display.value())
        if reply_status == "abort":
            return ("abort", stdout.value(), stderr.value(), display.value())
        if interrupted_at is not None:
            self.last_error = time.monotonic()
            return ("interrupted", stdout.value(), stderr.value(), display.value())
        if reply_status != "ok":
            self.last_error = time.monotonic()
            return ("error", stdout.value(), stderr.value(), display.value())
        return ("ok", stdout.value(), stderr.value(), display.value())

    # ---- the plan ---------------------------------------------------------------------------------

    def probe_ok(self):
        """After a replayed or interrupted cell: does the kernel still answer, timers included?"""
        status = self.execute(PROBE_CODE, PROBE_TIMEOUT)[0]
        if status == "deadline":
            raise DeadlineReached()
        if status in ("timeout", "dead"):
            return False
        if status != "ok":
            self.kill_kernel()
            return False
        return True

    def restart(self, reason, succeeded, cells):
        """New kernel, then replay the cells that succeeded (in order); a replayed cell that now fails is
        dropped. Each replayed cell is followed by a probe: the first one after which the kernel no longer
        answers (a timer or loop it left running) is the culprit, dropped and returned."""
        dropped = []
        culprit = None
        for _ in range(MAX_RESTARTS):
            self.kill_kernel()
            self.start_kernel()
            replayed = []
            broken = False
            for index in list(succeeded):
                timeout = float(cells[index].get("timeout") or self.cell_timeout)
                status = self.execute(cells[index]["code"], timeout)[0]
                if status == "deadline":
                    raise DeadlineReached()
                if status in ("timeout", "dead") or not self.probe_ok():
                    succeeded.remove(index)
                    dropped.append(index)
                    if culprit is None:
                        culprit = index
                    broken = True
                    break
                replayed.append(index)
            if not broken:
                emit({"event": "restart", "reason": reason, "replayed": replayed, "dropped": dropped, "culprit": culprit})
                return culprit
        raise RuntimeError("le noyau a dû être redémarré plus de %d fois" % MAX_RESTARTS)

    def run(self):
        cells = self.plan["cells"]
        succeeded = []  # indices of replayable cells that ran fine, for replay after a restart
        retried = set()  # cells run again after the cell that hung or killed the kernel was found
        index = 0
        pending = None  # the current cell's event, until it is emitted
        try:
            self.start_kernel()
            while index < len(cells):
                cell = cells[index]
                timeout = float(cell.get("timeout") or self.cell_timeout)
                began = time.monotonic()
                self.cause = None
                status, out, err, display = self.execute(cell["code"], timeout)
                pending = {"event": "cell", "index": index, "status": "timeout", "stdout": out, "stderr": err, "display": display,
                           "seconds": round(time.monotonic() - began, 3), "deadline": True}
                if status == "interrupted" and not self.probe_ok():
                    # Interrupted, but the kernel stays busy: something left running, not only this cell.
                    status = "timeout"
                seconds = round(time.monotonic() - began, 3)
                event = {"event": "cell", "index": index, "status": {"interrupted": "timeout", "deadline": "timeout"}.get(status, status),
                         "stdout": out, "stderr": err, "display": display, "seconds": seconds}
                if status == "deadline":
                    event["deadline"] = True
                if status == "dead" and self.cause:
                    event["cause"] = self.cause
                if status in ("timeout", "dead"):
                    if index + 1 < len(cells) or (succeeded and index not in retried):
                        culprit = self.restart(status, succeeded, cells)
                        if culprit is not None and index not in retried:
                            # An earlier cell left the kernel busy or doomed: it is to blame, this one runs again.
                            retried.add(index)
                            emit({"event": "blame", "index": culprit, "victim": index, "reason": status})
                            continue
                emit(event)
                pending = None
                index += 1
                if status == "deadline":
                    raise DeadlineReached()
                if status == "ok" and cell.get("replay", True):
                    succeeded.append(index - 1)
        except DeadlineReached:
            if pending is not None:
                # The deadline struck while this cell's restart or probe ran: the cell is named, not skipped.
                emit(pending)
                index += 1
        except Exception as error:  # kernel failed to start, restart loop, ...
            emit({"event": "fatal", "message": "%s: %s" % (type(error).__name__, error)})
        finally:
            self.kill_kernel()
            if self.stderr_file is not None:
                self.stderr_file.close()
        for rest in range(index, len(cells)):
            emit({"event": "cell", "index": rest, "status": "not_run", "stdout": "", "stderr": "", "display": "", "seconds": 0})
        emit({"event": "done", "seconds": round(time.monotonic() - self.started, 3)})


def main():
    plan = json.load(sys.stdin)
    runner = Runner(plan)

    def stop(signum, _frame):
        runner.kill_kernel()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.run()


if __name__ == "__main__":
    main()

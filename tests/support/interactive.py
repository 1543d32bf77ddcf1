"""Drive a real interactive shell on a pseudo-terminal through a list of steps.

Usage: interactive.py SHELL STEPS_JSON
STEPS_JSON is a list of {"send": TEXT, "expect": REGEX, "timeout": SECONDS, "sleep": SECONDS}:
after SLEEP seconds (default 0) TEXT is typed
(a "\t" in it is the Tab key), then the terminal's output since the step began must match
REGEX within TIMEOUT (default 10 s). A step with "scan": TEXT then lists the command lines
of every process on the machine that hold TEXT (what any local user can read in `ps`).
The environment (PATH, HOME, ...) is the caller's; PTY_COLUMNS sets the terminal's width
(24 lines by PTY_COLUMNS columns), as a real terminal of that size tells its programs.
Prints one JSON object: {"tty": ALL_OUTPUT, "failed": INDEX_OR_NULL, "seconds": [PER_STEP],
"scans": [[COMMAND_LINE, ...] per scanning step]}.
"""
import json
import os
import pty
import re
import select
import sys
import time

shell, steps = sys.argv[1], json.loads(sys.argv[2])
argv = {
    "zsh": ["zsh", "-f", "-i"],
    "bash": ["bash", "--norc", "--noprofile", "-i"],
    "fish": ["fish", "--no-config", "-i"],
}[shell]
os.environ["PS1"] = "$ "
os.environ.setdefault("TERM", "xterm")
pid, fd = pty.fork()
if pid == 0:
    if os.environ.get("PTY_COLUMNS"):
        import fcntl
        import struct
        import termios

        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, int(os.environ["PTY_COLUMNS"]), 0, 0))
    os.execvp(argv[0], argv)

seen = b""
failed = None
seconds = []
scans = []


def scan(text):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue  # this helper's own argv holds the steps
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in argv:
            found.append(argv)
    return found


time.sleep(0.5)
for index, step in enumerate(steps):
    time.sleep(step.get("sleep", 0))
    start = len(seen)
    began = time.time()
    os.write(fd, step["send"].encode())
    pattern = step["expect"].encode()
    end = began + step.get("timeout", 10)
    while time.time() < end and not re.search(pattern, seen[start:]):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    seconds.append(round(time.time() - began, 3))
    if not re.search(pattern, seen[start:]):
        failed = index
        break
    if "scan" in step:
        scans.append(scan(step["scan"]))
os.kill(pid, 9)
print(json.dumps({"tty": seen.decode(errors="replace"), "failed": failed, "seconds": seconds, "scans": scans}))

"""Drive a real interactive shell on a pseudo-terminal: source the shell file, run
`sw sw-staging` in a two-turn loop, press Ctrl-C at swrole's first MFA question (Ctrl-C
stops the loop, as it stops any command), then print the status.

Usage: interactive_ctrl_c.py SHELL SHELL_FILE
Prints one JSON object: {"tty": ..., "status": "130"}. The environment (PATH, HOME, ...)
is the caller's. Gives up after 20 seconds.
"""
import json
import os
import pty
import re
import select
import sys
import time

shell, shell_file = sys.argv[1], sys.argv[2]
argv = {"zsh": ["zsh", "-f", "-i"], "bash": ["bash", "--norc", "--noprofile", "-i"], "fish": ["fish", "--no-config", "-i"]}[shell]
os.environ["PS1"] = "$ "
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

seen = b""


def read_until(pattern, timeout=10.0):
    global seen
    end = time.time() + timeout
    while time.time() < end:
        if re.search(pattern, seen):
            return True
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                return False
    return bool(re.search(pattern, seen))


time.sleep(0.5)
os.write(fd, f"source {shell_file}\n".encode())
time.sleep(0.5)
loop = {
    "fish": b"for i in 1 2; sw sw-staging; echo turn=$i; end\n",
}.get(shell, b"for i in 1 2; do sw sw-staging; echo turn=$i; done\n")
os.write(fd, loop)
read_until(rb"MFA code for sw-staging")
os.write(fd, b"\x03")
# A loop that goes on asks again (or says turn=1): give it the time to.
read_until(rb"(?s)turn=1|MFA code for sw-staging.*MFA code for sw-staging", timeout=1.5)
os.write(fd, b"echo rc=$status\n" if shell == "fish" else b"echo rc=$?\n")
read_until(rb"rc=[0-9]+")
match = re.findall(rb"rc=([0-9]+)", seen)
os.kill(pid, 9)
print(json.dumps({"tty": seen.decode(errors="replace"), "status": match[-1].decode() if match else None}))

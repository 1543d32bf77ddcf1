"""Run a command on a new pseudo-terminal and answer its prompts; report what happened.

Usage: pty_run.py [--tty-stdout] PROMPT ANSWERS CMD [ARGS...]
The command's stdout is a pipe (as inside `$(...)`), or with --tty-stdout the terminal too
(a user who forgot `eval`); stdin, stderr and /dev/tty are the pty.
ANSWERS is a comma-separated list typed one per appearance of PROMPT; "^C" sends an
interrupt; once the list is used up, further prompts get end of input (^D).
Prints one JSON object: {"tty": ..., "stdout": ..., "status": ...}; a negative status is the
signal that ended the command. Gives up (and kills the command) after 30 seconds.
"""
import json
import os
import pty
import select
import signal
import sys
import time

args = sys.argv[1:]
tty_stdout = args[0] == "--tty-stdout"
if tty_stdout:
    args = args[1:]
prompt, answers, cmd = args[0].encode(), args[1].split(","), args[2:]
r, w = os.pipe()
pid, fd = pty.fork()
if pid == 0:
    if not tty_stdout:
        os.dup2(w, 1)
    os.close(r)
    os.close(w)
    os.execvp(cmd[0], cmd)
os.close(w)

tty, stdout, prompts_seen, status = b"", b"", 0, None
open_fds = {fd, r}
deadline = time.time() + 30
while status is None and time.time() < deadline:
    ready, _, _ = select.select(list(open_fds), [], [], 0.2)
    for f in ready:
        try:
            chunk = os.read(f, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            open_fds.discard(f)
            continue
        if f == r:
            stdout += chunk
            continue
        tty += chunk
        while tty.count(prompt) > prompts_seen:
            answer = answers[prompts_seen] if prompts_seen < len(answers) else None
            prompts_seen += 1
            if answer == "^C":
                os.write(fd, b"\x03")
            elif answer is None:
                os.write(fd, b"\x04")
            else:
                os.write(fd, (answer + "\r").encode())
    if r not in open_fds:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
if status is None:
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
# What the command wrote to the terminal last may still be in the pty after it exited
# (a loaded machine): read it all, until the pty says there is nothing more.
while True:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if not ready:
        break
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    tty += chunk
print(json.dumps({
    "tty": tty.decode(errors="replace"),
    "stdout": stdout.decode(errors="replace"),
    "status": os.waitstatus_to_exitcode(status),
}))

"""The screen a terminal shows for a byte stream: stdin is what a program wrote to its
terminal (raw, escape sequences and all); stdout is the screen's lines, one per line, with
trailing spaces removed (blank lines at the end dropped). pyte (PyPI) is the terminal
emulator. Usage: screen.py [COLUMNS] < raw
"""
import sys

import pyte

columns = int(sys.argv[1]) if len(sys.argv) > 1 else 80
raw = sys.stdin.buffer.read().decode("utf-8", errors="replace")
# Tall enough that nothing scrolls away: every line written stays on the screen.
screen = pyte.Screen(columns, raw.count("\n") + 50)
stream = pyte.Stream(screen)
# A bare "\n" from the pty (ONLCR already applied) is a new line, as on a real terminal.
stream.feed(raw)
lines = [line.rstrip() for line in screen.display]
while lines and not lines[-1]:
    lines.pop()
print("\n".join(lines))

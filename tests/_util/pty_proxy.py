"""Runs a command in a pseudo-terminal and relays bytes both ways.

Usage: python3 tests/_util/pty_proxy.py <command> [args...]

The command's stdin, stdout and stderr are the terminal (so it sees a TTY,
and the terminal's line discipline applies: Ctrl-D (\\x04) on an empty line
is end of input, Ctrl-C (\\x03) sends SIGINT). Bytes written to this
script's stdin are typed into the terminal; what the terminal shows is
written to this script's stdout. When the command exits, this script exits
with its exit code (128 + N when it was killed by signal N).
"""

import os
import pty
import select
import sys


def main() -> int:
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    stdin_open = True
    while True:
        readable, _, _ = select.select([master] + ([0] if stdin_open else []), [], [])
        if 0 in readable:
            data = os.read(0, 4096)
            if data:
                os.write(master, data)
            else:
                stdin_open = False
        if master in readable:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the command and its terminal are gone
                break
            if not data:
                break
            os.write(1, data)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())

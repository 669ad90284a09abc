#!/usr/bin/python3
"""A corrupting serial line for hwbridge's tests: copies bytes between two pseudo-terminals (the
bridge's side and the Modbus peer's side) and flips one bit of a data byte in every Nth chunk
the peer sends, so the bridge receives answers whose CRC does not match.

  flip_proxy.py BRIDGE_SIDE_PTY PEER_SIDE_PTY N
"""
import os
import select
import sys
import termios
import tty


def open_raw(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def main():
    bridge, peer, every = open_raw(sys.argv[1]), open_raw(sys.argv[2]), int(sys.argv[3])
    answers = 0
    print("proxying", flush=True)
    while True:
        ready, _, _ = select.select([bridge, peer], [], [])
        if bridge in ready:
            os.write(peer, os.read(bridge, 4096))
        if peer in ready:
            data = bytearray(os.read(peer, 4096))
            answers += 1
            if answers % every == 0 and len(data) > 3:
                data[3] ^= 0x01  # the first data byte: a value that would be wrong if believed
            os.write(bridge, bytes(data))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Receive sd_notify datagrams on a UNIX socket (as systemd would) and print them.

usage: notify_listen.py SOCKET_PATH SECONDS [UNTIL]  -- prints each message on its own line,
exits after SECONDS or when a message containing UNTIL (default READY=1) arrived.
"""
import os
import socket
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
until = sys.argv[3] if len(sys.argv) > 3 else "READY=1"
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("listening", flush=True)
end = time.time() + seconds
while time.time() < end:
    s.settimeout(max(0.05, end - time.time()))
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        break
    print(msg.replace("\n", "|"), flush=True)
    if until in msg:
        break

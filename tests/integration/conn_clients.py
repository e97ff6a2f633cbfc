#!/usr/bin/env python3
"""Misbehaving clients of the socket transport, for test_conn_limits.sh.

Each subcommand connects to a daemon on 127.0.0.1 (data port PORT, control port PORT+1),
behaves badly in one way, and checks what the daemon did: exit 0 when it did the right thing,
1 with a message on stderr otherwise.
"""
import errno
import socket
import struct
import sys
import time

GET_RANDOM = struct.pack(">HIIH", 0x8001, 12, 0x17B, 8)  # TPM2_GetRandom(8)
# TPM2_GetCapability(TPM_CAP_COMMANDS, TPM_CC_FIRST, 256): a response of about a kilobyte
GET_COMMANDS = struct.pack(">HIIIII", 0x8001, 22, 0x17A, 2, 0x11F, 256)
CMD_GET_CAPABILITY = struct.pack(">I", 1)  # swtpm control: 4-byte result, 8-byte caps


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def get_random(port):
    """One TPM2_GetRandom on a new connection; the response's code and size."""
    with connect(port) as s:
        s.sendall(GET_RANDOM)
        hdr = recv_exact(s, 10)
        _, size, rc = struct.unpack(">HII", hdr)
        recv_exact(s, size - 10)
        return rc


def get_capability(ctrl_port):
    with connect(ctrl_port) as s:
        s.sendall(CMD_GET_CAPABILITY)
        result, = struct.unpack(">I", recv_exact(s, 4))
        recv_exact(s, 4)
        return result


def closed_by_peer(s, within):
    """True when the daemon closes s (EOF or reset) within `within` seconds."""
    s.settimeout(within)
    try:
        while True:
            if not s.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def idle_flood(port, count):
    """count idle connections on each port: a new client is still served on both."""
    data = [connect(port) for _ in range(count)]
    ctrl = [connect(port + 1) for _ in range(count // 4)]
    rc = get_random(port)
    if rc != 0:
        die(f"GetRandom after {count} idle connections: response code 0x{rc:x}")
    res = get_capability(port + 1)
    if res != 0:
        die(f"control GetCapability after {count // 4} idle control connections: {res}")
    # the oldest idle connections made room: the first one is closed by now
    if not closed_by_peer(data[0], 2.0):
        die("the longest-idle data connection was not closed to make room")
    if not closed_by_peer(ctrl[0], 2.0):
        die("the longest-idle control connection was not closed to make room")
    # the newest one is still open and served
    data[-1].sendall(GET_RANDOM)
    if struct.unpack(">HII", recv_exact(data[-1], 10))[2] != 0:
        die("the newest idle connection was not served")
    for s in data + ctrl:
        s.close()


def partial_flood(port, count, expect_served_within):
    """count connections each with half a command: new clients are refused, then served once
    the half messages time out."""
    half = []
    for _ in range(count):  # each speaks at once: --conn-timeout must not close it
        half.append(connect(port))
        half[-1].sendall(GET_RANDOM[:5])
    time.sleep(1.0)  # the daemon has read every half command
    try:
        rc = get_random(port)
        die(f"a new client was served (0x{rc:x}) while every slot held half a command")
    except (EOFError, ConnectionResetError, BrokenPipeError):
        pass
    deadline = time.monotonic() + expect_served_within
    while time.monotonic() < deadline:
        try:
            if get_random(port) == 0:
                break
        except (EOFError, ConnectionResetError, BrokenPipeError):
            time.sleep(0.2)
    else:
        die(f"no client served {expect_served_within} s after the half commands began")
    for s in half:
        if not closed_by_peer(s, 1.0):
            die("a connection with half a command is still open after its timeout")
        s.close()


def silent(port, within):
    """A connection that sends nothing is closed; one that sends a message is not."""
    quiet = connect(port)
    talker = connect(port)
    talker.sendall(GET_RANDOM)
    recv_exact(talker, 18)
    if not closed_by_peer(quiet, within):
        die(f"a connection that sent nothing is still open after {within} s")
    talker.sendall(GET_RANDOM)
    recv_exact(talker, 18)
    quiet.close()
    talker.close()


def half_message(port, within):
    """A command's first bytes and then nothing: the connection is closed."""
    s = connect(port)
    s.sendall(GET_RANDOM[:6])
    if not closed_by_peer(s, within):
        die(f"a connection with half a command is still open after {within} s")
    s.close()


def no_reader(port, within):
    """Commands sent without reading a response: the daemon closes the connection."""
    # no small SO_RCVBUF: a full tiny receive buffer makes this end drop the daemon's
    # segments and with them its window updates, and then our commands stall in TCP and the
    # daemon, its buffers half empty, sees only an idle client
    s = connect(port)
    s.settimeout(0.5)
    burst = GET_COMMANDS * 64  # big responses fill the daemon's send buffer quickly
    deadline = time.monotonic() + within
    sent = 0
    while time.monotonic() < deadline:
        try:
            sent += s.send(burst)
        except socket.timeout:
            continue  # our send buffer is full: the daemon stopped reading us
        except (BrokenPipeError, ConnectionResetError):
            print(f"closed after {sent} bytes of commands")
            return
        except OSError as e:
            if e.errno in (errno.EPIPE, errno.ECONNRESET):
                return
            raise
    die(f"a client that reads nothing still connected after {within} s ({sent} bytes sent)")


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    args = [float(a) for a in sys.argv[3:]]
    {
        "idle-flood": lambda: idle_flood(port, int(args[0])),
        "partial-flood": lambda: partial_flood(port, int(args[0]), args[1]),
        "silent": lambda: silent(port, args[0]),
        "half-message": lambda: half_message(port, args[0]),
        "no-reader": lambda: no_reader(port, args[0]),
        "get-random": lambda: sys.exit(get_random(port) != 0),
        "get-capability": lambda: sys.exit(get_capability(port + 1) != 0),
    }[cmd]()


if __name__ == "__main__":
    main()

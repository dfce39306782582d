"""A permessage-deflate peer on python-websockets (Debian python3-websockets),
which compresses by default: `/usr/bin/python3 tests/peers/deflate_python_server.py`.

Messages are echoed as they came, except the text `big:N`, answered with N
bytes of compressible text. The first stdout line is
`{"type":"listening","ports":{"python":N},"tlsPorts":{"python":N}}`; the
process exits when its stdin ends. TLS is on when PEER_TLS_CERT and
PEER_TLS_KEY hold PEM text (written to a temporary directory for ssl).
"""

import asyncio
import json
import os
import re
import ssl
import sys
import tempfile

import websockets


def compressible(length):
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    parts, size, i = [], 0, 0
    while size < length:
        part = f"{words[(i * 7) % 8]} {i % 100} "
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)[:length]


async def echo(websocket, path=None):
    try:
        async for message in websocket:
            match = re.fullmatch(r"big:(\d+)", message) if isinstance(message, str) else None
            await websocket.send(compressible(int(match.group(1))) if match else message)
    except websockets.ConnectionClosed:
        pass


def tls_context():
    cert, key = os.environ.get("PEER_TLS_CERT"), os.environ.get("PEER_TLS_KEY")
    if not cert or not key:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        with open(cert_file, "w") as f:
            f.write(cert)
        with open(key_file, "w") as f:
            f.write(key)
        context.load_cert_chain(cert_file, key_file)
    return context


async def main():
    plain = await websockets.serve(echo, "127.0.0.1", 0, max_size=64 << 20)
    ports = {"python": plain.sockets[0].getsockname()[1]}
    tls_ports = {}
    context = tls_context()
    if context is not None:
        secure = await websockets.serve(echo, "127.0.0.1", 0, max_size=64 << 20, ssl=context)
        tls_ports["python"] = secure.sockets[0].getsockname()[1]
    print(json.dumps({"type": "listening", "ports": ports, "tlsPorts": tls_ports}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())

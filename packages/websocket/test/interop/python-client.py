"""A WebSocket client on Debian's python3-websockets, used to drive a Duet service from code
no one in this project wrote. Usage: python-client.py URL [CA_FILE]

Sends 'Hello!', a ping, and a binary message; prints one line per observation, then closes
with 4000 'bye' and prints the close code the server answered."""
import asyncio
import ssl
import sys

import websockets


async def main(url, ca_file):
    context = None
    if url.startswith("wss://"):
        context = ssl.create_default_context(cafile=ca_file)
    async with websockets.connect(url, ssl=context, subprotocols=["xml", "json"]) as ws:
        print("subprotocol", ws.subprotocol, flush=True)
        await ws.send("Hello!")
        print("text", await ws.recv(), flush=True)
        pong_waiter = await ws.ping(b"py-ping")
        await asyncio.wait_for(pong_waiter, 3)
        print("pong ok", flush=True)
        await ws.send(b"\x00\x01\xfe\xff")
        reply = await ws.recv()
        print("binary", reply.hex(), flush=True)
        await ws.close(code=4000, reason="bye")
        print("closed", ws.close_code, flush=True)


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None), 10))

"""A WebSocket server on the python3-websockets library, for the Duet client's interop test.

Listens on 127.0.0.1 at the port given as the first argument (0 picks a free one) and prints
"LISTENING <port>" once it accepts connections. Per message:
  text "close"         -> closes with 4000 "python says bye"
  text "header:<name>" -> answers with the value of that request header ("" when absent)
  anything else        -> echoed back as it came (text as text, bytes as bytes)
"""
import asyncio
import sys

import websockets


async def handler(websocket, path=None):
    async for message in websocket:
        if message == "close":
            await websocket.close(4000, "python says bye")
            return
        if isinstance(message, str) and message.startswith("header:"):
            await websocket.send(websocket.request_headers.get(message[7:], ""))
            continue
        await websocket.send(message)


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    async with websockets.serve(handler, "127.0.0.1", port, subprotocols=["py.v1"]) as server:
        print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


asyncio.run(main())

"""Echoes 1,000 messages of mixed sizes through a Duet service with python3-websockets, which
offers permessage-deflate by default. Usage: python-deflate-client.py URL

Prints the extension the server agreed, then how many echoes came back byte for byte."""
import asyncio
import random
import sys

import websockets


def message(rng, index):
    size = rng.choice([0, 1, 10, 100, 1023, 1024, 1025, 4000, 20000, 60000])
    if index % 3 == 2:
        return bytes(rng.getrandbits(8) for _ in range(min(size, 2000))) + bytes(size - min(size, 2000))
    words = ["price", "élan", "42", "ticker", "€", "🙂", "size"]
    text = " ".join(rng.choice(words) for _ in range(size // 5 + 1))
    return text[:size]


async def main(url):
    rng = random.Random(7692)
    async with websockets.connect(url, max_size=2**20) as ws:
        headers = getattr(ws, "response_headers", None) or ws.response.headers
        print("extensions", headers.get("Sec-WebSocket-Extensions"), flush=True)
        same = 0
        for index in range(1000):
            sent = message(rng, index)
            await ws.send(sent)
            if await ws.recv() == sent:
                same += 1
        print("echoed", same, flush=True)
        await ws.close()


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1]), 60))

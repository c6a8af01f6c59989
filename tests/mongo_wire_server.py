"""A MongoDB wire-protocol server on 127.0.0.1 for tests of the real pymongo path.

Run with Python >= 3.13 and ``mongoeco`` installed (``.ci/run`` makes ``.venv313``):
``python tests/mongo_wire_server.py`` prints ``PORT <n>`` once listening and serves until killed.
"""

import asyncio
import sys

from mongoeco.wire import AsyncMongoEcoProxyServer


async def serve(port):
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=port)
    address = await server.start()
    sys.stdout.write(f"PORT {address.port}\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))

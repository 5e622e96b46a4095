"""The "Python original" baseline: a faithful rebuild of the design tickstream replaces.

A measurement fixture for bench/ (see bench/harness/PROTOCOL.md), not part of the product.
Deliberately the straightforward code a FastAPI user would write: every WebSocket connection opens its own
redis.asyncio Pub/Sub subscription (so its own Redis connection) on the symbol's 4 channels and forwards each
Pub/Sub message's text unchanged as one text frame; the Pub/Sub is closed when the client goes.

Run from this folder:  /usr/bin/python3 -m uvicorn server:app --host 127.0.0.1 --port PORT
"""

import asyncio
import os

import redis.asyncio as aioredis
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")

app = FastAPI()
redis = aioredis.from_url(REDIS_URL, decode_responses=True)


@app.websocket("/ws/{symbol}")
async def ws_symbol(websocket: WebSocket, symbol: str):
    await websocket.accept()

    pubsub = redis.pubsub()
    await pubsub.subscribe(
        f"candles:{symbol}:1",
        f"trades:{symbol}",
        f"ticker:{symbol}",
        f"orderbook:{symbol}",
    )

    async def forward():
        async for message in pubsub.listen():
            if message["type"] == "message":
                await websocket.send_text(message["data"])

    forward_task = asyncio.create_task(forward())
    try:
        # The client sends nothing; reading is how we learn that it has gone.
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        forward_task.cancel()
        try:
            await forward_task
        except (asyncio.CancelledError, Exception):
            pass
        await pubsub.close()


@app.on_event("shutdown")
async def shutdown():
    await redis.close()

"""The runtime a service is composed of, and the FastAPI app every service serves."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from nats.aio.client import Client as NatsClient
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grassroots.kit import context, metrics, openapi
from grassroots.kit.bodylimit import BodyLimitMiddleware
from grassroots.kit.db import Database
from grassroots.kit.failures import FailureMiddleware
from grassroots.kit.guards import install_guard
from grassroots.kit.messaging import (
    AnyConsumerSpec,
    EventConsumers,
    build_broker,
    connect_nats,
    ensure_streams,
)
from grassroots.kit.outbox import Outbox, OutboxRelay
from grassroots.kit.paging import use_cursor_secret
from grassroots.kit.problems import install_problem_handlers
from grassroots.kit.settings import ServiceSettings

log = logging.getLogger(__name__)


class Runtime:
    """Everything one service process holds: database, outbox, relay, broker, consumers."""

    def __init__(
        self,
        settings: ServiceSettings,
        consumers: Iterable[AnyConsumerSpec] = (),
        *,
        messaging: bool = True,
    ) -> None:
        self.settings = settings
        # A service that neither publishes nor consumes (the portal) never connects to NATS.
        self.messaging = messaging
        self.service = settings.SERVICE
        self.db = Database(settings.database_url, pre_ping=settings.db_pool_pre_ping)
        self.outbox = Outbox(source=f"/grassroots/{settings.SERVICE}")
        metrics.initialise_service(self.service)
        self.broker = build_broker(settings)
        self.consumers = EventConsumers(settings, self.db, self.broker)
        if settings.run_consumers:
            for spec in consumers:
                self.consumers.add(spec)
        self.nc: NatsClient | None = None
        self.relay: OutboxRelay | None = None
        self.ready = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._broker_started = False

    async def start(self) -> None:
        """Connect in the background; HTTP serves meanwhile and /readyz says when all is up."""
        if not self.messaging:
            self.ready.set()
            return
        self._tasks.append(asyncio.create_task(self._connect(), name=f"{self.service}-connect"))

    async def _connect(self) -> None:
        delay = 0.5
        while True:
            try:
                self.nc = await connect_nats(
                    self.settings.nats_url,
                    name=f"grassroots-{self.service}-relay",
                    inbox_prefix=self.settings.nats_inbox_prefix,
                )
                js = self.nc.jetstream()
                await ensure_streams(js, replicas=self.settings.nats_stream_replicas)
                for consumer in self.consumers.batch_consumers:
                    await consumer.subscribe(js)
                if self.consumers.uses_broker:
                    await self.broker.start()
                    self._broker_started = True
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("waiting for NATS at %s: %s", self.settings.nats_url_redacted, exc)
                if self.nc is not None:
                    with suppress(Exception):
                        await self.nc.close()
                    self.nc = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if self.settings.run_relay:
            self.relay = OutboxRelay(
                self.db,
                js,
                service=self.service,
                batch_size=self.settings.outbox_batch_size,
                poll_seconds=self.settings.outbox_poll_seconds,
                keep_days=self.settings.outbox_keep_days,
            )
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.service}-relay"))
        for consumer in self.consumers.batch_consumers:
            self._tasks.append(
                asyncio.create_task(consumer.run(), name=f"{self.service}-{consumer.spec.name}")
            )
        if self.consumers.specs:
            self._tasks.append(asyncio.create_task(self.consumers.watch_lag(js)))
            self._tasks.append(asyncio.create_task(self.consumers.watch_replays()))
        self.ready.set()

    async def relay_backlog(self) -> int:
        """How many committed events still wait in the outbox."""
        return await OutboxRelay(self.db, None, service=self.service).backlog()

    def add_task(self, task: asyncio.Task[Any]) -> None:
        """Keep a background task (a scanner, say) to cancel on stop."""
        self._tasks.append(task)

    async def stop(self) -> None:
        """Stop background work and close connections."""
        if self.relay is not None:
            self.relay.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for consumer in self.consumers.batch_consumers:
            # Before draining: a pull subscription's unfetched messages would hold the drain.
            await consumer.close()
        if self._broker_started:
            with suppress(Exception):
                await self.broker.stop()
        if self.nc is not None:
            with suppress(Exception):
                await self.nc.drain()
        await self.db.dispose()

    async def check_ready(self) -> dict[str, str]:
        """State of each dependency ('ok' or the error)."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.db.ping(), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {exc.__class__.__name__}"
        if self.messaging:
            nats_ok = self.nc is not None and self.nc.is_connected and self.ready.is_set()
            checks["nats"] = "ok" if nats_ok else "not connected"
        return checks


class ObservabilityMiddleware:
    """Correlation id in and out; request count and latency by route template."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        correlation = headers.get(b"x-correlation-id", b"").decode()[:64] or str(uuid.uuid4())
        token = context.correlation_id.set(correlation)
        status_holder = {"status": 500}
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-correlation-id", correlation.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            metrics.HTTP_REQUESTS.labels(
                self.service, method, template, str(status_holder["status"])
            ).inc()
            metrics.HTTP_DURATION.labels(self.service, method, template).observe(
                time.perf_counter() - started
            )
            context.correlation_id.reset(token)


def settle_heap(settings: ServiceSettings) -> None:
    """Keep what start-up built out of the collector's way.

    Modules, schemas, compiled statements and the like live as long as the process; left in
    the collector's oldest generation they made each full collection walk them all, which
    stopped a busy service's event loop for 70-90 ms at a time (measured under intake load).
    Frozen, they are never walked again. Tests run many apps in one process and skip this.
    """
    if settings.env == "test":
        return
    gc.collect()
    gc.freeze()


def create_app(
    runtime: Runtime,
    routers: Iterable[APIRouter],
    *,
    title: str,
    description: str = "",
    extra_lifespan: Any = None,
) -> FastAPI:
    """The service's FastAPI app: its routers plus health, readiness, metrics and errors."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        if extra_lifespan is not None:
            async with extra_lifespan(runtime):
                settle_heap(runtime.settings)
                yield
        else:
            settle_heap(runtime.settings)
            yield
        await runtime.stop()

    # Docs assets come from the service itself: county intranets have no CDN.
    app = FastAPIOffline(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.settings = runtime.settings
    app.state.runtime = runtime
    use_cursor_secret(runtime.settings.cursor_key)
    install_problem_handlers(app)
    openapi.install_openapi(app)
    install_guard(app)
    # Outermost last: correlation id, then the failure shell, then the body count.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(FailureMiddleware)
    app.add_middleware(ObservabilityMiddleware, service=runtime.service)

    @app.get("/healthz", tags=["operations"], summary="The process lives")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.service}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Database and NATS answer",
        responses=openapi.readiness(),
    )
    async def readyz() -> JSONResponse:
        checks = await runtime.check_ready()
        ok = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ok else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=Response,
        responses=openapi.text("text/plain"),
    )
    async def prometheus_metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app

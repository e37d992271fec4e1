"""Reflex page state in Redis that survives a Redis outage: a browser tab whose state cannot
be read from or written to Redis is served from this web process's memory instead (its
websocket stays with this process), so candidates can open and use their booking page while
Redis is down; tabs opened once Redis is back use Redis again."""

import contextlib
import dataclasses
import logging
import sys
from typing import Any

import redis.exceptions
from reflex.istate.manager import StateManager
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.redis import StateManagerRedis

log = logging.getLogger(__name__)

# What an unreachable or restarting Redis raises.
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


@dataclasses.dataclass
class ResilientStateManager(StateManagerRedis):
    """StateManagerRedis with a per-tab fallback to process memory while Redis is down."""

    _fallback: StateManagerMemory = dataclasses.field(
        default_factory=StateManagerMemory, init=False
    )
    _local_tokens: set[str] = dataclasses.field(default_factory=set, init=False)

    def _is_local(self, token: Any) -> bool:
        return token.ident in self._local_tokens

    def _go_local(self, token: Any, error: BaseException) -> None:
        if token.ident not in self._local_tokens:
            log.warning(
                "Redis unavailable (%s): page state of a tab kept in this process",
                type(error).__name__,
            )
            self._local_tokens.add(token.ident)

    async def get_state(self, token, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        """The tab's state from Redis, or from memory once Redis failed for this tab."""
        token = self._coerce_token(token)
        if not self._is_local(token):
            try:
                return await super().get_state(token, *args, **kwargs)
            except REDIS_DOWN as error:
                self._go_local(token, error)
        return await self._fallback.get_state(token)

    async def set_state(self, token, state, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        """Store the tab's state in Redis, or in memory once Redis failed for this tab."""
        token = self._coerce_token(token)
        if not self._is_local(token):
            try:
                return await super().set_state(token, state, *args, **kwargs)
            except REDIS_DOWN as error:
                self._go_local(token, error)
        await self._fallback.set_state(token, state)

    @contextlib.asynccontextmanager
    async def modify_state(self, token, **context):  # type: ignore[no-untyped-def, override]
        """Lock, yield and save the tab's state: in Redis while it answers; a tab whose
        state could not be read, or whose changes could not be written back, continues in
        memory (the changes of that event included)."""
        token = self._coerce_token(token)
        if not self._is_local(token):
            in_redis = super().modify_state(token, **context)
            try:
                state = await in_redis.__aenter__()
            except REDIS_DOWN as error:
                self._go_local(token, error)
            else:
                try:
                    yield state
                except BaseException:
                    if not await in_redis.__aexit__(*sys.exc_info()):
                        raise
                    return
                try:
                    await in_redis.__aexit__(None, None, None)
                except REDIS_DOWN as error:
                    self._go_local(token, error)
                    await self._fallback.set_state(token, state)
                return
        async with self._fallback.modify_state(token, **context) as state:
            yield state

    async def close(self) -> None:
        """Close both stores."""
        await self._fallback.close()
        await super().close()


def make_resilient(manager: StateManager) -> StateManager:
    """The same manager with the memory fallback when it keeps state in Redis; others are
    returned unchanged."""
    if not isinstance(manager, StateManagerRedis) or isinstance(manager, ResilientStateManager):
        return manager
    return ResilientStateManager(
        redis=manager.redis,
        token_expiration=manager.token_expiration,
        lock_expiration=manager.lock_expiration,
        lock_warning_threshold=manager.lock_warning_threshold,
    )


def install(app: Any) -> None:
    """Replace the app's state manager by its resilient form (call after the pages are
    added, once the app has made its manager)."""
    manager = getattr(app, "_state_manager", None)
    if manager is not None:
        app._state_manager = make_resilient(manager)  # noqa: SLF001 - Reflex has no setter

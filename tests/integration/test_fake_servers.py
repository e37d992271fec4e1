"""The fake provider servers' connection handling: an idle kept-alive connection is not
closed under a client that reuses it (the cause of a RemoteProtocolError in `bench sync`)."""

import asyncio

import httpx

from tests.fakes.google import run_fake_google


async def test_the_fake_google_keeps_an_idle_connection_open_longer_than_httpx_keeps_it():
    # httpx keeps an idle connection 5 s (keepalive_expiry); a server that closes it at the
    # same moment races the client's next request on it ("Server disconnected without
    # sending a response"). Real providers keep idle connections open much longer.
    with run_fake_google() as google:
        async with httpx.AsyncClient(limits=httpx.Limits(keepalive_expiry=30)) as http:
            url = f"{google.url}/calendar/v3/users/me/calendarList"
            used = []
            for pause in (0, 6):  # 6 s: longer than httpx's default expiry and uvicorn's
                await asyncio.sleep(pause)
                answer = await http.get(url)
                assert answer.status_code == 401  # no token: the fake answered
                used.append(answer.extensions["network_stream"].get_extra_info("client_addr"))
    assert used[0] == used[1]  # the same connection: the server had not closed it

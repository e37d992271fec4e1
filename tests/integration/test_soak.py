"""The scale-out soak in a short form (`python -m bench soak` runs 200 candidates): 2 web
processes behind one port and 2 workers on PostgreSQL and Redis; a web process and a worker
SIGKILLed and started again, Redis restarted; nothing booked twice, lost or duplicated."""

from bench.soak import soak


def test_a_short_soak_loses_and_duplicates_nothing():
    # A short mail lease keeps the test short (the killed worker's mails go out sooner).
    result = soak(candidates=20, racers=5, mail_lease_seconds=20)
    assert result["bookings"] == 21  # 20 distinct times and one of the 5 racers
    assert result["race_winners"] == 1
    assert result["failed_visits"] == 0
    assert result["double_bookings"] == 0
    assert result["mails"] > 0 and result["lost_mails"] == 0
    # Each notification is one mail with one Message-ID; a worker SIGKILLed between the SMTP
    # server's acceptance and its done mark resends those same bytes (receivers drop the
    # copy by Message-ID), so only copies of one Message-ID may arrive twice.
    assert result["distinct_mails_received"] == result["mails"]
    assert result["calendar_events"] == 21
    assert result["lost_events"] == 0 and result["duplicate_events"] == 0
    assert result["outbox_left"] == 0
    assert result["http_5xx"] == 0
    # The figures that tell where time goes: the client's, the proxy's and the handler's view
    # of a booking, and the workers' measured window between an SMTP "250" and the done mark.
    assert result["p95_book_ms"] >= result["p95_book_proxy_ms"] > 0
    assert result["p95_book_handler_ms"] > 0
    assert result["mail_window_ms_max"] is not None and result["mail_window_ms_max"] > 0

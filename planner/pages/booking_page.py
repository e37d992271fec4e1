"""The candidate's booking page (mobile first, no sign-in), rendered on the server.

One small HTML document per view, with the interview and the offered times in the first
response: nothing waits for a script or a websocket, and every action is a plain form that
works without JavaScript. A few lines of script only add comforts (the browser's zone offer,
announcing an outcome, refusing a second submit). Every value is escaped by markupsafe."""

from pathlib import Path

from markupsafe import Markup

from planner.state.booking_page import BookingPage, DayChoices, TimeChoice

H = Markup
_HERE = Path(__file__).parent

# Colours meet WCAG AA (>= 4.5:1) on their backgrounds: #1f2937 on #f8fafc 14:1, white on
# #3730a3 10:1, #3730a3 on white 10:1, white on #b91c1c 6.5:1, notice texts >= 9:1.
STYLE = (_HERE / "booking_page.css").read_text()


# Comforts only (focus, live announcement, one submit, the zone offer); pages work without.
SCRIPT = (_HERE / "booking_page.js").read_text()


def _base(page: BookingPage) -> str:
    return f"/book/{page.token}"


def _heading(page: BookingPage, level: int = 2) -> Markup:
    return H('<h{0} id="view-heading" tabindex="-1" autofocus>{1}</h{0}>').format(
        level, page.heading
    )


def _notice(page: BookingPage) -> Markup:
    role = "alert" if page.notice_kind == "error" else "status"
    return H('<div id="outcome" class="notice {}" role="{}">{}</div>').format(
        page.notice_kind if page.notice else "", role, page.notice
    )


def _languages(page: BookingPage) -> Markup:
    if not page.languages or not page.token:
        return H("")
    items = H("").join(
        H(
            '<li><button type="submit" name="lang" value="{0}" lang="{0}" '
            'aria-pressed="{1}">{2}</button></li>'
        ).format(choice.code, "true" if choice.current else "false", choice.name)
        for choice in page.languages
    )
    return H(
        '<nav aria-label="{label}"><form method="post" action="{base}/prefs">'
        '<input type="hidden" name="next" value="{view}"><ul class="langs">{items}</ul>'
        "</form></nav>"
    ).format(label=page.texts["language"], base=_base(page), view=_asked(page), items=items)


def _asked(page: BookingPage) -> str:
    """The ?view= that brings the reader back to this view after changing a preference."""
    return {"no_fit_form": "no-fit", "cancel_form": "cancel", "zone": "zone"}.get(page.view, "")


def _facts(page: BookingPage) -> Markup:
    t = page.texts
    rows = []
    if page.job:
        rows.append((t["job"], page.job))
    rows.append((t["duration"], page.duration))
    if page.place:
        rows.append((t["where"], page.place))
    elif page.online:
        rows.append((t["where"], t["online"]))
    body = H("").join(H("<div><dt>{}:</dt><dd>{}</dd></div>").format(k, v) for k, v in rows)
    return H('<h1>{}</h1><dl class="facts">{}</dl>').format(page.title, body)


def _zone_line(page: BookingPage) -> Markup:
    offer = H("")
    if not page.zone_chosen:
        offer = H(
            '<form id="zone-offer" method="post" action="{base}/prefs" hidden '
            'data-current="{zone}" data-template="{template}">'
            '<p class="hint">{note}</p><input type="hidden" name="zone" value="">'
            '<input type="hidden" name="next" value="{view}">'
            '<button type="submit" class="btn secondary"></button></form>'
        ).format(
            base=_base(page),
            zone=page.zone,
            template=page.texts["zone_offer"],
            note=page.texts["zone_offer_note"],
            view=_asked(page),
        )
    return H('<p class="zone">{note} <a href="{base}?view=zone">{change}</a></p>{offer}').format(
        note=page.zone_note, base=_base(page), change=page.texts["zone_change"], offer=offer
    )


def _time(choice: TimeChoice) -> Markup:
    return H(
        '<label class="slot"><input type="radio" name="slot" value="{id}" required '
        'aria-label="{name}"><span class="face" aria-hidden="true">{label}</span></label>'
    ).format(id=choice.slot_id, name=choice.name, label=choice.label)


def _day(day: DayChoices) -> Markup:
    times = H("").join(_time(choice) for choice in day.times)
    return H('<fieldset><legend>{}</legend><div class="times">{}</div></fieldset>').format(
        day.day, times
    )


def _choose(page: BookingPage) -> Markup:
    t = page.texts
    days = H("").join(_day(day) for day in page.days)
    return H(
        '{heading}{zone}{notice}<form method="post" action="{base}/book">{days}'
        '<button type="submit" class="btn">{book}</button></form>'
        '<a class="btn secondary" href="{base}?view=no-fit">{none_fit}</a>'
    ).format(
        heading=_heading(page),
        zone=_zone_line(page),
        notice=_notice(page),
        base=_base(page),
        days=days,
        book=t["book"],
        none_fit=t["none_fit"],
    )


def _comment_form(page: BookingPage, *, action: str, intro: str, submit: str, back: str,
                  danger: bool) -> Markup:  # fmt: skip
    t = page.texts
    error = H("")
    described = "comment-hint"
    if page.comment_error:
        error = H('<p id="comment-error" class="field-error" role="alert">{}</p>').format(
            page.comment_error
        )
        described = "comment-hint comment-error"
    return H(
        '{heading}{notice}<p id="comment-hint">{intro}</p>'
        '<form method="post" action="{base}/{action}">'
        '<label for="comment">{label}</label>'
        '<textarea id="comment" name="comment" rows="5" required '
        'aria-describedby="{described}"{invalid}>{comment}</textarea>{error}'
        '<button type="submit" class="btn{danger}">{submit}</button></form>{back_link}'
    ).format(
        heading=_heading(page),
        notice=_notice(page),
        intro=intro,
        base=_base(page),
        action=action,
        label=t["comment_label"],
        comment=page.comment,
        described=described,
        invalid=H(' aria-invalid="true"') if page.comment_error else H(""),
        error=error,
        danger=" danger" if danger else "",
        submit=submit,
        # With no time left the form is the page itself: nothing to go back to.
        back_link=H("")
        if page.view == "no_times"
        else H('<a class="btn secondary" href="{}">{}</a>').format(back, t["back"]),
    )


def _booked(page: BookingPage) -> Markup:
    t = page.texts
    rows = [(t["when"], H("{}").format(page.booked_when))]
    if page.place:
        rows.append((t["where"], H("{}").format(page.place)))
    elif page.online:
        if page.meeting_url:
            link = H('<a href="{0}" rel="noopener noreferrer">{1}</a>').format(
                page.meeting_url, t["join"]
            )
            rows.append((t["online"], H('{0}<br><span class="hint">{1}</span>').format(
                link, page.meeting_url
            )))  # fmt: skip
        else:
            rows.append((t["online"], H("{}").format(t["meeting_pending"])))
    card = H("").join(H("<dt>{}</dt><dd>{}</dd>").format(k, v) for k, v in rows)
    links = [
        H(
            '<li><a class="btn secondary" href="{0}/interview.ics" download="interview.ics">'
            "{1}</a></li>"
        ).format(_base(page), t["add_ics"])  # fmt: skip
    ]
    for url, label in ((page.google_url, t["add_google"]), (page.outlook_url, t["add_outlook"])):
        if url:
            links.append(
                H(
                    '<li><a class="btn secondary" href="{0}" target="_blank" '
                    'rel="noopener noreferrer">{1}<span class="vh"> {2}</span></a></li>'
                ).format(url, label, t["new_window"])  # fmt: skip
            )
    return H(
        '{heading}{zone}{notice}<div class="card"><dl>{card}</dl></div>'
        '<h3>{add}</h3><ul class="plain">{links}</ul>'
        '<a class="btn danger-outline" href="{base}?view=cancel">{cancel}</a>'
    ).format(
        heading=_heading(page),
        zone=_zone_line(page),
        notice=_notice(page),
        card=card,
        add=t["add_to_calendar"],
        links=H("").join(links),
        base=_base(page),
        cancel=t["cancel_booking"],
    )


def _commented(page: BookingPage) -> Markup:
    return H('{}{}<a class="btn secondary" href="{}">{}</a>').format(
        _heading(page), _notice(page), _base(page), page.texts["back"]
    )


def _zone_picker(page: BookingPage) -> Markup:
    t = page.texts
    options = H("").join(
        H('<option value="{}">{}</option>').format(zone, label) for zone, label in page.zone_options
    )
    matches = H("")
    if page.zone_matches:
        buttons = H("").join(
            H(
                '<li><button type="submit" name="zone" value="{0}" class="btn secondary">'
                "{1}</button></li>"
            ).format(zone, label)  # fmt: skip
            for zone, label in page.zone_matches
        )
        matches = H(
            '<h3>{title}</h3><form method="post" action="{base}/prefs">'
            '<input type="hidden" name="next" value=""><ul class="plain">{buttons}</ul></form>'
        ).format(title=t["zone_matches"], base=_base(page), buttons=buttons)
    return H(
        '{heading}<p class="zone">{note}</p>{notice}'
        '<form method="post" action="{base}/prefs">'
        '<label for="zone-query">{label}</label>'
        '<p id="zone-hint" class="hint">{hint}</p>'
        '<input type="text" id="zone-query" name="zone_query" list="zone-list" '
        'autocomplete="off" aria-describedby="zone-hint" value="{query}" required>'
        '<datalist id="zone-list">{options}</datalist>'
        '<button type="submit" class="btn">{show}</button></form>{matches}'
        '<a class="btn secondary" href="{base}">{back}</a>'
    ).format(
        heading=_heading(page),
        note=page.zone_note,
        notice=_notice(page),
        base=_base(page),
        label=t["zone_label"],
        hint=t["zone_hint"],
        query=page.zone_query,
        options=options,
        show=t["zone_show"],
        matches=matches,
        back=t["back"],
    )


def _dead_end(page: BookingPage) -> Markup:
    message = {
        "invalid": "link_invalid",
        "expired": "expired",
        "withdrawn": "withdrawn",
        "not_found": "not_found",
        "too_many": "too_many",
    }[page.view]
    title = H('<p class="facts">{}</p>').format(page.title) if page.title else H("")
    return H('{}{}<p class="notice error">{}</p>').format(
        _heading(page, level=1), title, page.texts[message]
    )


def _body(page: BookingPage) -> Markup:
    t = page.texts
    if page.view in ("invalid", "expired", "withdrawn", "not_found", "too_many"):
        return _dead_end(page)
    base = _base(page)
    views = {
        "choose": lambda: _choose(page),
        "no_times": lambda: _comment_form(
            page, action="no-fit", intro=t["no_fit_intro"], submit=t["send"],
            back=base, danger=False,
        ),
        "no_fit_form": lambda: _comment_form(
            page, action="no-fit", intro=t["no_fit_intro"], submit=t["send"],
            back=base, danger=False,
        ),
        "cancel_form": lambda: _comment_form(
            page, action="cancel", intro=t["cancel_intro"], submit=t["confirm_cancel"],
            back=base, danger=True,
        ),
        "booked": lambda: _booked(page),
        "commented": lambda: _commented(page),
        "zone": lambda: _zone_picker(page),
    }  # fmt: skip
    return _facts(page) + views[page.view]()


def render(page: BookingPage) -> str:
    """The whole HTML document of one view: `<html lang>` and the title in the reader's
    language, styles and the small script inline (one request paints the page)."""
    return str(
        H(
            '<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex">'
            "<title>{title}</title>"
            '<link rel="icon" href="/favicon.ico" sizes="any">'
            "<style>{style}</style></head>"
            "<body><main>{languages}{body}</main><script>{script}</script></body></html>"
        ).format(
            lang=page.lang,
            title=page.document_title,
            style=H(STYLE),
            languages=_languages(page),
            body=_body(page),
            script=H(SCRIPT),
        )
    )

"""Overview: what the broker needs at a glance, without a click — for production and staging: is the
site up, did the last backup succeed (and was it verified), did a deployment fail or get rolled back in
the last day; this month's cost against the budget; what the timeline marks for attention. Read-only.

Every card first shows its last-known value from local history (the health history, the backup
catalog cache, the last deployment summary, the cost snapshots, the timeline's cache), marked with its
age, then the live answer. A card whose live read fails keeps its last-known value and says why; the
view tries again later on its own.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from console.session import Session
from services.core.concurrency import settle
from services.core.units import plural
from views.base import OpsView, heading
from views.overview.card import Card

ENVS = ("production", "staging")
# A card with nothing known shows a part of its answer once all its sources answered at least the first
# step of their reads; or, when one is slow to answer at all, from this long after asking, with each answer.
PARTIAL_AFTER_S = 3.0
BACKUP_HEADLINES = {"fresh": "On time", "stale": "Overdue", "none": "None yet"}


def age_text(when: datetime) -> str:
    from services.core.units import human_age

    return human_age(when, datetime.now(UTC))


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


class OverviewView(OpsView):
    key = "overview"
    title = "Overview"
    # A card that could not be refreshed is read again after this long (doubling up to RETRY_MAX_S).
    retry_s = 30.0
    RETRY_MAX_S = 300.0

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Overview"))
        self.subtitle = QLabel("")
        layout.addWidget(self.subtitle)
        grid = QGridLayout()
        loading = "Loading the workspace (a new sandbox starts its database and storage first)."
        self.cards: dict[str, Card] = {
            "production": Card("Production site", "Waiting for the health history and the first check."),
            "staging": Card("Staging site", "Waiting for the health history and the first check."),
            "backup": Card("Last backup (production)", loading),
            "backup_staging": Card("Last backup (staging)", loading),
            "deployments": Card("Deployments, last 24 h (production)", loading),
            "deployments_staging": Card("Deployments, last 24 h (staging)", loading),
            "costs": Card("This month's cost", loading),
            "attention": Card("Needs attention (last 24 h)", loading),
        }
        # Production on the left, staging on the right; the questions top to bottom.
        for index, card in enumerate(self.cards.values()):
            grid.addWidget(card, index // 2, index % 2)
        layout.addLayout(grid)
        layout.addStretch(1)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._retry_stale)
        self._retry_wait = self.retry_s
        self._monitor_hooked = False
        session.lights_changed.connect(self.show_lights)

    def card_for(self, question: str, env_kind: str) -> Card:
        return self.cards[question if env_kind == "production" else f"{question}_staging"]

    def env_named(self, kind: str) -> str | None:
        for name, env in self.session.ctx.workspace.environments.items():
            if env.kind.value == kind:
                return name
        return None

    # --- the sites: the health monitor's state (restored from its history at start) ---------------------
    def _poller(self) -> Any:
        from console.health_monitor import monitor_for

        monitor = monitor_for(self.session)
        if monitor is not None and not self._monitor_hooked:
            # Every result, not only changes of state: a restored "up" confirmed by a live "up" is fresh;
            # and the restored states as soon as the history is read, before the status bar's lights.
            monitor.result.connect(lambda _state: self.show_lights())
            monitor.started.connect(self.show_lights)
            self._monitor_hooked = True
        return monitor.poller if monitor is not None else None

    def show_lights(self) -> None:
        if not self.session.ready:
            return
        poller = self._poller()
        for kind in ENVS:
            name = self.env_named(kind)
            card = self.cards[kind]
            if name is None:
                card.show_state("unknown", "No environment", f"This workspace has no {kind} environment.")
                continue
            light = self.session.lights.get(name)
            state, text = (light.state, light.text) if light is not None else ("unknown", "")
            if poller is not None:  # the poller's own site state: what the status bar's light shows shortly
                status, text = poller.site_status(name)
                state = status.value
            restored_at = self._restored_at(poller, name)
            if state == "unknown" and restored_at is None and not self._checked_live(poller, name):
                if not card.filled:
                    card.wait(f"{name}: waiting for the first health check.")
                continue
            detail = html.escape(f"{name}: {text}")
            extra = self._service_lines(poller, name)
            if extra:  # application errors, the monitoring API: their own lines, never the site's state
                detail += "<br><small>" + "<br>".join(extra) + "</small>"
            if restored_at is not None:
                card.show_known(state, state.capitalize(), detail, age_text(restored_at), rich=True)
            else:
                card.show_state(state, state.capitalize(), detail, rich=True)

    @staticmethod
    def _site_states(poller: Any, env: str) -> list[Any]:
        """The health states behind the site's answer that have a result (live or restored)."""
        if poller is None:
            return []
        from services.health.poller import SERVICE_CHECKS, SITE_CHECKS

        # The checks the site's state is made of, as the poller chooses them (its own /api/health when the
        # environment has one), then those with a result: another check's answer is no answer about the site.
        states = poller.env_states(env)
        chosen = [s for s in states if s.check in SITE_CHECKS] or [s for s in states if s.check not in SERVICE_CHECKS]
        return [s for s in chosen if s.last is not None]

    def _restored_at(self, poller: Any, env: str) -> datetime | None:
        """When the site's state shown was checked, if it comes from the history (not yet checked live)."""
        site = self._site_states(poller, env)
        if not site or not all(s.restored for s in site):
            return None
        return max(s.last.checked_at for s in site)

    def _checked_live(self, poller: Any, env: str) -> bool:
        return any(not s.restored for s in self._site_states(poller, env))

    @staticmethod
    def _service_lines(poller: Any, env: str) -> list[str]:
        from services.health.names import CHECK_LABELS

        if poller is None:
            return []
        return [f"{CHECK_LABELS.get(check, check)}: {html.escape(detail)}"
                for check, _status, detail in poller.service_lines(env)]

    # --- loading ------------------------------------------------------------------------------------------
    async def load(self) -> None:

        ctx = self.session.ctx
        self.subtitle.setText(f"Workspace <b>{html.escape(ctx.workspace.name)}</b> — read-only summary; "
                              "nothing here changes anything.")
        self.show_lights()
        jobs = [self._load_costs(), self._load_attention()]
        for kind in ENVS:
            name = self.env_named(kind)
            if name is None:
                for question in ("backup", "deployments"):
                    self.card_for(question, kind).show_state("unknown", f"No {kind}",
                                                             f"This workspace has no {kind} environment.")
                continue
            jobs += [self._load_backup(name, self.card_for("backup", kind)),
                     self._load_deployments(name, self.card_for("deployments", kind))]
        await settle(*jobs)
        self._schedule_retry()

    def _schedule_retry(self) -> None:
        stale = [k for k, c in self.cards.items() if k not in ENVS and not c.fresh]
        if stale:
            self._retry.start(int(self._retry_wait * 1000))
            self._retry_wait = min(self._retry_wait * 2, self.RETRY_MAX_S)
        else:
            self._retry_wait = self.retry_s

    def _retry_stale(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self.loaded.clear()  # read again when shown

    async def _load_attention(self) -> None:
        """What the timeline of production and staging marks for attention in the last day: the timeline's
        cache at once, then every source read live."""
        import asyncio

        from services.core.errors import OpsError
        from services.overview.last_known import last_known_attention
        from services.timeline import TimelineRequest, build_timeline

        card = self.cards["attention"]
        names = [n for n in (self.env_named("production"), self.env_named("staging")) if n]
        # Each environment's timeline so far: with nothing known, the card shows what every source answered
        # (a source in two steps, GitHub's runs then the failed runs' jobs, answers its first step early).
        latest: dict[str, Any] = {}

        def heard(name: str, timeline: Any) -> None:
            latest[name] = timeline
            if card.fresh or card.known_at_text or len(latest) < len(names):
                return  # the whole answer, or a last-known one, is not replaced by a part
            pending = tuple(f"{p} ({n})" for n, t in latest.items() for p in t.pending)
            if pending:
                self._show_attention(card, sorted((e for t in latest.values() for e in t.events if e.attention),
                                                  key=lambda e: e.time, reverse=True),
                                     [g for t in latest.values() for g in t.gaps], pending=pending)

        async def read(name: str) -> Any:
            timeline = await build_timeline(self.session.ctx, TimelineRequest(environment=name,
                                                                              since=timedelta(days=1)),
                                            on_partial=lambda t: heard(name, t), partial_after=PARTIAL_AFTER_S)
            heard(name, timeline)
            return timeline

        # The live read goes out first; the timeline's cache is read (and shown) while it is on the network.
        asked = datetime.now(UTC)
        # Each read its own task (a settle not yet started when cancelled would leave them never awaited).
        reads = [asyncio.ensure_future(read(n)) for n in names]
        live = asyncio.ensure_future(settle(*reads))
        try:
            known = await last_known_attention(self.session.ctx, names, before=asked)
        except BaseException:
            for task in (*reads, live):
                task.cancel()
            raise
        if known.read_at is not None and not card.fresh:
            self._show_attention(card, list(known.events), [], known_age=age_text(known.read_at))
        try:
            timelines = await live
        except OpsError as exc:
            card.refresh_failed(exc.sentence())
            return
        events = sorted((e for t in timelines for e in t.events if e.attention), key=lambda e: e.time, reverse=True)
        gaps = [g for t in timelines for g in t.gaps]
        cached = [g.cached_at for g in gaps if g.cached_at is not None]
        if cached:  # a source down: its part is its last-known events, so the card is marked as such
            self._show_attention(card, events, gaps, known_age=age_text(min(cached)),
                                 note=f"{len(gaps)} source(s) could not be read now (see Timeline)")
        else:
            self._show_attention(card, events, gaps)

    @staticmethod
    def _show_attention(card: Card, events: list[Any], gaps: list[Any], known_age: str = "",
                        note: str = "checking now", pending: tuple[str, ...] = ()) -> None:
        tail = f" ({len(gaps)} source(s) could not be read; see Timeline)" if gaps and not known_age else ""

        def show(state: str, headline: str, detail: str, rich: bool = False) -> None:
            if known_age:
                card.show_known(state, headline, detail, known_age, rich=rich, note=note)
            elif pending:
                card.show_partial(state, headline, detail, ", ".join(pending), rich=rich)
            else:
                card.show_state(state, headline, detail, rich=rich)

        if not events:
            show("up" if not gaps else "unknown", "Nothing", "Nothing on the timeline needs attention." + tail)
            return
        lines = [html.escape(f"{e.time:%H:%M} {e.environment}: {e.summary}") for e in events[:3]]
        more = f" … and {len(events) - 3} more (see Timeline)" if len(events) > 3 else ""
        show("down", f"{len(events)} event{'s' if len(events) > 1 else ''}",
             "<br>".join(lines) + html.escape(more + tail), rich=True)

    async def _load_backup(self, env: str, card: Card) -> None:
        import asyncio

        from services.backup.attempts import last_failed_attempt
        from services.backup.catalog import last_known_catalog, list_backups
        from services.core.errors import OpsError

        # The bucket is read first; the last failed attempt and the last listing are read meanwhile. With
        # nothing known, the listing is shown as soon as it is in, while the documents it names are read.
        early: list[Any] = []
        attempt: list[Any] = []  # the last failed attempt, once read

        def show_early() -> None:
            if early and attempt and not card.fresh and not card.known_at_text:
                card.show_partial(*self._backup_answer(early[-1], attempt[0], env),
                                  f"the backups' manifests and verifications ({plural(early[-1].reading, 'file')})")

        def listed(catalog: Any) -> None:
            early.append(catalog)
            show_early()

        live = asyncio.ensure_future(list_backups(self.session.ctx, env, offline_ok=True, on_listed=listed))
        try:
            failed, known = await settle(last_failed_attempt(self.session.ctx, env),
                                         last_known_catalog(self.session.ctx, env))
        except BaseException:
            live.cancel()
            raise
        attempt.append(failed)
        if known is not None and not card.fresh:
            # The last-known state at once, with its age, while the bucket is read.
            card.show_known(*self._backup_answer(known, failed, env), age_text(known.listed_at))
        show_early()
        try:
            catalog = await live
        except OpsError as exc:
            if failed is not None and not card.filled:
                card.show_state("down", "Last attempt failed", f"{_capital(failed.sentence())}. "
                                f"The catalog could not be read: {exc.sentence()}")
            else:
                card.refresh_failed(exc.sentence())
            return
        if catalog.from_cache:  # the bucket could not be read: the last listing, marked as such
            card.show_known(*self._backup_answer(catalog, failed, env), age_text(catalog.listed_at),
                            note=f"could not be refreshed: {catalog.offline_reason}")
        else:
            card.show_state(*self._backup_answer(catalog, failed, env))

    def _backup_answer(self, catalog: Any, failed: Any, env: str) -> tuple[str, str, str]:
        """(state, headline, sentence) of a catalog, with the last failed attempt when it came after."""
        fresh = catalog.freshness
        if failed is not None and (fresh.last_good_at is None or failed.at > fresh.last_good_at):
            return "down", "Last attempt failed", f"{_capital(failed.sentence())}. Before it: {fresh.sentence}"
        note = fresh.sentence
        if any(j.kind == "backup" and j.environment == env for j in self.session.jobs.running()):
            note += " — a backup is running now (see Jobs)"
        return "up" if fresh.level == "fresh" else "down", BACKUP_HEADLINES.get(fresh.level, fresh.level), note

    async def _load_deployments(self, env: str, card: Card) -> None:
        from services.core.errors import OpsError
        from services.deployments.summary import deployment_summary
        from services.overview.last_known import (
            DeploymentDigest,
            last_known_deployments,
            remember_deployments,
        )

        known = await last_known_deployments(self.session.ctx, env)
        if known is not None and not card.fresh:
            self._show_deployments(card, known[0], known_age=age_text(known[1]))
        try:
            summary = await deployment_summary(self.session.ctx, env)
        except OpsError as exc:
            card.refresh_failed(exc.sentence())
            return
        digest = DeploymentDigest.from_summary(summary)
        self._show_deployments(card, digest)
        if digest.configured:
            await remember_deployments(self.session.ctx, env, digest)

    @staticmethod
    def _show_deployments(card: Card, digest: Any, known_age: str = "") -> None:
        if not digest.configured:
            card.show_state("unknown", "Not configured", digest.sentence)
            return
        failures = digest.failed_since(datetime.now(UTC) - timedelta(days=1))
        current = digest.current
        live = (f"Live: {current.commit_sha[:7]} “{current.message[:60]}” by {current.author}"
                if current else "No current deployment found")
        headline = "Rolled back" if digest.rolled_back else "Failures" if failures else "OK"
        failed = "".join(f" Failed: {d.commit_sha[:7]} “{d.message[:60] or d.id}” by {d.author}, {d.at:%H:%M} UTC."
                         for d in failures[:2])
        # Said again from the failures still within the day: a last-known digest ages while it is shown.
        sentence = (f"{len(failures)} deployment{'s' if len(failures) > 1 else ''} failed in the last 24 h"
                    if failures else "No failed deployment in the last 24 h")
        if digest.rolled_back:
            sentence += "; production is rolled back, so new deployments do not go live until one is promoted"
        state = "down" if failures or digest.rolled_back else "up"
        if known_age:
            card.show_known(state, headline, f"{sentence}.{failed} {live}.", known_age)
        else:
            card.show_state(state, headline, f"{sentence}.{failed} {live}.")

    async def _load_costs(self) -> None:
        from views.overview.costs import load_costs

        await load_costs(self, self.cards["costs"])

"""Figure 3: chat fan-out in rooms of 50 and 500 members.

All members' sockets are held by one k6 VU (``bench/scenarios/ws_fanout.js``), so the phases
can wait for what the sockets see: every socket open and the presence frames settled;
then senders post at a fixed rate (``fanout_rate`` messages per second in all) and every
receiver records send-to-delivery latency from the timestamp in the body; then each sender
keeps a few messages in flight (the next one goes when its own comes back) and the
deliveries received per second are counted. The baseline takes the same script: a bare
Channels consumer that does ``group_send`` on the same layer, without auth or storage.
"""

from __future__ import annotations

from functools import partial

from bench import k6
from bench.context import Context
from bench.figures import Figure, Line, Sample, Samples, Trial, TrialFailed, median_of, rotate
from bench.results import Row, Target
from bench.servers import HOST, Server, asgi_argv, free_port, port_is_open, python_path

P99_AT_RATE = Target("value", "<=", 150, "ms")
DELIVERIES_VS_BARE = Target("ratio", ">=", 0.6)
BUDGETED_ROOM = 500  # the budget names the 500-member room; smaller rooms are reported
SENDERS = 4
WINDOW = 2


class ChatFanout(Figure):
    key = "fanout"
    needs = ("auth", "chat", "chat-ws")

    def _budgeted(self, members: int) -> bool:
        return members >= BUDGETED_ROOM

    def lines(self, ctx: Context) -> list[Line]:
        rate = ctx.profile.fanout_rate
        out = []
        for members in ctx.profile.fanout_rooms:
            budgeted = self._budgeted(members)
            out += [
                Line(
                    f"chat {members} members: delivery p99 at {rate} msg/s",
                    "ms",
                    P99_AT_RATE if budgeted else None,
                ),
                Line(
                    f"chat {members} members: deliveries/s vs bare Channels",
                    "msg/s",
                    DELIVERIES_VS_BARE if budgeted else None,
                ),
            ]
        return out

    def prepare(self, ctx: Context) -> None:
        self.rooms: dict[int, tuple[str, str]] = {}
        for members in ctx.profile.fanout_rooms:
            users = ctx.seeder.users(members)
            slug = ctx.seeder.room(f"bench-fanout-{members}", users)
            tokens = ctx.json_file(f"fanout-{members}.json", [u.access_token for u in users])
            self.rooms[members] = (slug, str(tokens))

        self.bare = bare_channels(ctx)
        self.strata_ws = ctx.stack.endpoints.websocket

    def _measure(self, side: str, members: int, ctx: Context) -> Sample:
        slug, tokens = self.rooms[members]
        profile = ctx.profile
        env: dict[str, object] = {
            "MEMBERS": members,
            "SENDERS": SENDERS,
            "WINDOW": WINDOW,
            "RATE": profile.fanout_rate,
            "LATENCY_SECONDS": profile.fanout_latency_seconds,
            "SATURATION_SECONDS": profile.fanout_saturation_seconds,
            "SETTLE_MS": profile.fanout_settle_ms,
            "DRAIN_MS": profile.fanout_drain_ms,
        }
        if side == "strata":
            env |= {"URL": f"{self.strata_ws}/ws/chat/{slug}/", "TOKENS": tokens}
        else:
            env |= {"URL": f"ws://127.0.0.1:{self.bare.port}/ws/chat/{slug}/"}
        summary = k6.run("ws_fanout.js", env)
        opened = summary.value("sockets_opened", "count", 0.0)
        closed = summary.value("sockets_closed_early", "count", 0.0)
        if opened < members or closed:
            raise TrialFailed(f"{opened:.0f}/{members} sockets opened, {closed:.0f} closed early")
        sent = summary.value("messages_sent", "count", 0.0)
        delivered = summary.value("deliveries", "count", 0.0)
        if sent == 0 or delivered == 0:
            raise TrialFailed(f"{sent:.0f} messages sent, {delivered:.0f} delivered at {members}")
        return {
            "p99": summary.value("delivery_latency", "p(99)"),
            "p50": summary.value("delivery_latency", "med"),
            "delivered_share": delivered / (sent * members),
            "deliveries_per_s": summary.value("saturated_deliveries", "count", 0.0)
            / profile.fanout_saturation_seconds,
            "saturated_p50": summary.value("saturated_delivery_latency", "med", 0.0),
            "setup_s": summary.value("setup_seconds", "max", 0.0),
        }

    def trials(self, ctx: Context, repetition: int, samples: Samples) -> list[Trial]:
        out = []
        for members in ctx.profile.fanout_rooms:
            out += rotate(
                [
                    Trial(f"{side}-{members}", partial(self._measure, side, members, ctx))
                    for side in ("strata", "bare")
                ],
                repetition,
            )
        return out

    def rows(self, ctx: Context, samples: Samples) -> list[Row]:
        rate = ctx.profile.fanout_rate
        rows = []
        for members in ctx.profile.fanout_rooms:
            budgeted = self._budgeted(members)
            share = median_of(samples, f"strata-{members}", "delivered_share")
            p50 = median_of(samples, f"strata-{members}", "p50")
            notes = []
            if p50 is not None:
                notes.append(f"p50 {p50:.0f} ms")
            if share is not None and share < 0.999:
                notes.append(f"{share:.1%} of deliveries arrived")
            rows.append(
                Row(
                    figure=f"chat {members} members: delivery p99 at {rate} msg/s",
                    unit="ms",
                    strata=median_of(samples, f"strata-{members}", "p99"),
                    baseline=median_of(samples, f"bare-{members}", "p99"),
                    baseline_name="bare Channels",
                    target=P99_AT_RATE if budgeted else None,
                    note=", ".join(notes),
                )
            )
            rows.append(
                Row(
                    figure=f"chat {members} members: deliveries/s vs bare Channels",
                    unit="msg/s",
                    strata=median_of(samples, f"strata-{members}", "deliveries_per_s"),
                    baseline=median_of(samples, f"bare-{members}", "deliveries_per_s"),
                    baseline_name="bare Channels",
                    target=DELIVERIES_VS_BARE if budgeted else None,
                )
            )
        return rows


def bare_channels_server(ctx: Context) -> Server:
    """The bare Channels consumer under the chat WebSocket process's uvicorn flags."""
    port = free_port()
    return Server(
        name="channels-bare",
        argv=asgi_argv(ctx.repo, "bench.baselines.channels_fanout.asgi:application", port),
        port=port,
        ready=lambda: port_is_open(HOST, port),
        cwd=ctx.repo,
        env={"PYTHONPATH": python_path(ctx.repo), "REDIS_URL": ctx.stack.redis_url()},
    )


def bare_channels(ctx: Context) -> Server:
    """The shared bare Channels server, started on first use."""
    return ctx.server("channels-bare", partial(bare_channels_server, ctx))
